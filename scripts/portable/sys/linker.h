/* FreeBSD's <sys/linker.h>, the part perflab uses: a stub for make check-portable. */
#ifndef PORTABLE_SYS_LINKER_H
#define PORTABLE_SYS_LINKER_H
#include <stddef.h>
#include <sys/param.h>
struct kld_file_stat {
	int version;
	char name[MAXPATHLEN];
	int refs;
	int id;
	void *address;
	size_t size;
	char pathname[MAXPATHLEN];
};
int kldnext(int fileid);
int kldstat(int fileid, struct kld_file_stat *stat);
#endif

/* FreeBSD's <sys/uio.h> with sendfile(2): a stub for make check-portable. */
#ifndef PORTABLE_SYS_UIO_H
#define PORTABLE_SYS_UIO_H
#include_next <sys/uio.h>
#include <sys/types.h>
struct sf_hdtr;
#define SF_NODISKIO 0x00000001
int sendfile(int fd, int s, off_t offset, size_t nbytes, struct sf_hdtr *hdtr, off_t *sbytes,
	     int flags);
#endif

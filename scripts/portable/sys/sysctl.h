/* FreeBSD's <sys/sysctl.h>, the part perflab uses: a stub for make check-portable. */
#ifndef PORTABLE_SYS_SYSCTL_H
#define PORTABLE_SYS_SYSCTL_H
#include <stddef.h>
#include <sys/types.h>
#define CTL_MAXNAME 24
#define CTLTYPE 0xf
#define CTLTYPE_NODE 1
#define CTLTYPE_INT 2
#define CTLTYPE_STRING 3
#define CTLTYPE_S64 4
#define CTLTYPE_OPAQUE 5
#define CTLTYPE_UINT 6
#define CTLTYPE_LONG 7
#define CTLTYPE_ULONG 8
#define CTLTYPE_U64 9
#define CTLTYPE_U8 0xa
#define CTLTYPE_U16 0xb
#define CTLTYPE_S8 0xc
#define CTLTYPE_S16 0xd
#define CTLTYPE_S32 0xe
#define CTLTYPE_U32 0xf
#define CTL_KERN 1
#define KERN_BOOTTIME 21
int sysctl(const int *name, unsigned namelen, void *oldp, size_t *oldlenp, const void *newp,
	   size_t newlen);
int sysctlbyname(const char *name, void *oldp, size_t *oldlenp, const void *newp,
		 size_t newlen);
int sysctlnametomib(const char *name, int *mibp, size_t *sizep);
#endif

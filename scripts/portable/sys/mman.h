/* FreeBSD's <sys/mman.h> adds SHM_ANON: a stub for make check-portable. */
#ifndef PORTABLE_SYS_MMAN_H
#define PORTABLE_SYS_MMAN_H
#include_next <sys/mman.h>
#define SHM_ANON ((char *)1)
#endif

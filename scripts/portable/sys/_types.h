/* FreeBSD's <sys/_types.h>: empty here; gcc's <stddef.h> includes it when __FreeBSD__ is defined. */

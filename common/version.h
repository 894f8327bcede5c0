#ifndef COMMON_VERSION_H
#define COMMON_VERSION_H

/*
 * What this build of perflab calls itself (`git describe` of the tree it
 * was built from), and the protocol its agent speaks. Every module may
 * ask; the library versions are the driver's (perflab version).
 */
const char *perflab_version(void);

#endif

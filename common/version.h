#ifndef COMMON_VERSION_H
#define COMMON_VERSION_H

/*
 * What this build of perflab calls itself (`git describe` of the tree it
 * was built from), and the protocol its agent speaks. Every module may
 * ask; the library versions are the driver's (perflab version).
 */
const char *perflab_version(void);
/* Where `make install` puts the agent: PREFIX/libexec/perflab. */
const char *perflab_libexecdir(void);

/*
 * The agent's protocol: the verbs the controller runs on a lab host
 * (version, load, collect, clock, fingerprint), their options and the
 * files they write. A controller accepts an agent of the same protocol,
 * whatever its build; bump it when any of those changes incompatibly.
 */
#define PERFLAB_AGENT_PROTOCOL 1

#endif

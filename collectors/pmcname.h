#ifndef COLLECTORS_PMCNAME_H
#define COLLECTORS_PMCNAME_H

struct strbuf;

/*
 * Event names as users know them. perflab takes libpfm4's spelling
 * (`UOPS_EXECUTED:THREAD:c=1:i=1`, `snb::RESOURCE_STALLS:ANY`), perf's
 * generic names (`cycles`, `task-clock`) and FreeBSD pmcstat's
 * (`RESOURCE_STALLS.ANY`, `UOPS_DISPATCHED.THREAD,inv,cmask=1`), which
 * this module rewrites into libpfm4's. It is plain string work with no
 * library behind it, so it can be tested and fuzzed alone; collectors/pmc.c
 * tries the spellings it produces against libpfm4.
 */
#define PMCNAME_MAX 256		/* longest event spec, bytes */
#define PMCNAME_LIST_MAX 256	/* most events in one list */

/*
 * An entry of the pmcstat alias table: a name pmcstat (or Intel's
 * documentation, which pmcstat follows) gives an event, and libpfm4's
 * name for the same encoding.
 */
struct pmcname_alias {
	const char *pmcstat;	/* "UOPS_DISPATCHED.THREAD" */
	const char *libpfm4;	/* "UOPS_EXECUTED:THREAD" */
	const char *where;	/* the PMUs where the names differ, for humans */
};
extern const struct pmcname_alias pmcname_aliases[];	/* ends with a NULL row */

/*
 * Rewrite spec, `[PMU::]EVENT[.UMASK][:attr=v...][,modifier...]`, into
 * libpfm4's spelling in out (appended). Without alias, the first dot
 * of the event becomes libpfm4's colon; with alias, EVENT.UMASK (or
 * the bare EVENT) is replaced by its entry in the alias table. pmcstat's
 * modifiers become libpfm4 attributes: inv -> i=1, edge -> e=1,
 * cmask=N -> c=N, usr -> u=1, os -> k=1 (one of usr/os alone excludes
 * the other), anythread/any -> t=1, ldlat=N -> ldlat=N.
 *
 * Returns 0; PERFLAB_ENOTFOUND when alias is set and the table has no
 * entry (nothing reported); -1 with an error on malformed input
 * (binary, too long, empty parts, unknown modifiers).
 */
int pmcname_translate(const char *spec, int alias, struct strbuf *out);

/* The PMU prefix of spec ("snb" of "snb::LLC_MISSES") in out; 0 if there is none. */
int pmcname_prefix(const char *spec, struct strbuf *out);

/*
 * Split a comma-separated event list. pmcstat's modifiers stay with
 * their event: "cycles,UOPS_DISPATCHED.THREAD,inv,cmask=1" holds two
 * events. Returns the count and a NULL-terminated array in *out (free
 * with argv_free), or -1 with an error (empty list or element, a
 * modifier with no event, more than PMCNAME_LIST_MAX events).
 */
int pmcname_split(const char *list, char ***out);

#endif

#ifndef COLLECTORS_COLLECTOR_H
#define COLLECTORS_COLLECTOR_H

#include <stddef.h>

struct json_t;

/*
 * A collector samples one aspect of a host at a fixed interval: cpu
 * states, frequency, network counters. The same code serves `perflab
 * run`, `perflab collect` and `perflab stat`, on this host or (run as
 * perflab itself) on a remote one.
 *
 * Each sample is one JSON object with the monotonic time it was taken
 * (t_mono_s) and the measured length of the interval it covers (dt_s).
 * What a host cannot measure is said once when the collector opens and
 * recorded as null, never as 0.
 */
struct collector_ops {
	const char *name;	/* "cpu" */
	const char *summary;	/* one line for `perflab help collect` */
	size_t priv_size;	/* bytes of private state, zeroed */
	/*
	 * Find the sources. Static facts (driver names, why something is
	 * missing) go into info. Returns 0, or -1 if the collector cannot
	 * run at all here.
	 */
	int (*open)(void *priv, struct json_t *info);
	/*
	 * Read the counters now. With prev_ok set, add the interval's
	 * figures (since the previous read, dt seconds long) to rec.
	 */
	int (*sample)(void *priv, struct json_t *rec, double dt, int prev_ok);
	void (*close)(void *priv);
};

struct collector;

/* The collectors this build has, NULL-terminated. */
extern const struct collector_ops *const collector_list[];
const struct collector_ops *collector_ops_find(const char *name);

/*
 * Open a collector by name; *info_out receives its info record (a new
 * reference, with "type": "info"). NULL with an error on failure.
 */
struct collector *collector_open(const char *name, struct json_t **info_out);
/*
 * Take a sample. Returns a new "sample" record, or NULL for the first
 * call (which only sets the baseline) and on failure.
 */
struct json_t *collector_sample(struct collector *c);
void collector_free(struct collector *c);

/*
 * Where this host's CPU is: a cgroup holding the host's processes (a
 * host of a namespace lab, see common/cgroup.h), or NULL for the whole
 * machine (the default). Set before collector_open; the cpu collector
 * then reports the group's CPU, with the machine's beside it.
 */
void collector_set_cgroup(const char *name);
const char *collector_cgroup(void);

/*
 * Parse a comma-separated list of collector names ("cpu,freq,net" or
 * "all" or "none") into a NULL-terminated array of static names.
 * Recorders ("tcptrace") are accepted too; "all" leaves them out.
 * Returns the count or -1 naming the unknown one.
 */
int collector_list_parse(const char *list, const char ***out);

/*
 * Recorders: names a collectors list may hold that are not
 * collector_ops (collector_open does not know them): "tcptrace", the
 * TCP blackbox (collectors/tcptrace.h), started by `perflab collect`
 * with the run's ports. NULL-terminated.
 */
extern const char *const collector_recorders[];
int collector_is_recorder(const char *name);

#endif

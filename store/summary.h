#ifndef STORE_SUMMARY_H
#define STORE_SUMMARY_H

struct json_t;

/*
 * summary.json: a run's figures over its measured window, computed from
 * the run directory's raw files (the client's records, the server's
 * intervals, every host's collector samples), so it can always be
 * rebuilt and checked. The keys of catalogued metrics are those of
 * store/metric.h.
 */

/*
 * Build summary.json's content from a complete run directory's raw
 * files: the workload's figures over the measured window and the
 * collectors' over the same window. New reference, or NULL.
 */
struct json_t *summary_build(const char *dir);

/*
 * Did the workload do its work in the measured window? 0 when it did;
 * else 1, with the reason appended to why: no transaction (for bulk, no
 * byte moved), or errors past max_error_ratio of the attempts (errors
 * over errors plus transactions; for bulk, plus connections opened).
 * Such a run measured the service's failure, not its speed: it is
 * failed, and no number is taken from it. Figures that were not
 * measured (null) decide nothing.
 */
struct strbuf;
int summary_workload_failed(const struct json_t *sum, double max_error_ratio,
			    struct strbuf *why);

#endif

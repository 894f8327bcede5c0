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

#endif

#ifndef VERDICT_CHANGEPOINT_H
#define VERDICT_CHANGEPOINT_H

#include <stddef.h>

#include "store/metric.h"

struct history;
struct json_t;

/*
 * Change points over the nights of job (the history's nightly table),
 * tonight's values last, for each gated metric: the tip's median of
 * each night that measured it, through stats_changepoints (E-Divisive
 * means). tonight maps metric names to tonight's medians; an earlier
 * record of the same date and commit is left out (tonight replaces it).
 * Returns a new JSON array of { metric, date, commit, after, p,
 * before_median, after_median, direction ("worse" or "better") },
 * oldest first per metric.
 */
struct json_t *night_change_points(struct history *h, const char *job,
				   const struct gate *gates, size_t ngates,
				   const struct json_t *tonight, const char *date,
				   const char *commit);

#endif

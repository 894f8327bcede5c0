#ifndef LAB_THRESHOLDS_H
#define LAB_THRESHOLDS_H

#include "common/opt.h"
#include "store/metric.h"

struct cfg_file;
struct cfg_section;

/*
 * A job's [thresholds]: the gated metrics and how far each may move the
 * bad way, "cpu = +5%", "goodput = -3%". Only the keys given are gated;
 * without the section, the catalog's default gates apply. The keys are
 * the catalog's metrics that have a bad direction (store/metric.h).
 */
#define THRESHOLDS_MAX 64

struct thresholds {
	double v[THRESHOLDS_MAX];	/* by row of thresholds_table(), fractions */
};

/* The option table of [thresholds], made from the catalog once. */
const struct opt *thresholds_table(void);

/* The config check: each threshold points the bad way. */
int thresholds_check(const struct cfg_file *f, const struct cfg_section *s, void *target);
/* The gates a [thresholds] section names (at most max); -1 on error. */
int thresholds_gates(const struct cfg_file *f, const struct cfg_section *s, struct gate *out,
		     size_t max);

#endif

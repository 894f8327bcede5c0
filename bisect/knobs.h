#ifndef BISECT_KNOBS_H
#define BISECT_KNOBS_H

#include <stddef.h>

/*
 * Knob bisection: Zeller's delta debugging (ddmin) over an ordered list
 * of configuration items (boot arguments, sysctls, module order,
 * patches). The oracle measures a configuration made of a subset of
 * the items and says whether it shows the regression.
 */
enum knobs_outcome {
	KNOBS_GOOD = 0,		/* the subset does not reproduce the regression */
	KNOBS_BAD,		/* it does */
	KNOBS_UNRESOLVED	/* cannot tell (does not boot, inconclusive) */
};

/*
 * The oracle gets the subset as ascending item indexes. A negative
 * return aborts the search with that code.
 */
typedef int (*knobs_oracle)(const size_t *subset, size_t n, void *data);

struct knobs_result {
	size_t *items;		/* the 1-minimal failing subset, ascending (owned) */
	size_t n;
	unsigned tests;		/* oracle calls made (cached subsets not counted) */
};

/*
 * ddmin over items 0..n-1: the whole set must be BAD (else
 * PERFLAB_EINVAL after error()); the result is 1-minimal (removing any
 * single item makes it not BAD). Subsets are cached, so the oracle is
 * never asked twice about the same one.
 */
int knobs_ddmin(struct knobs_result *out, size_t n, knobs_oracle oracle, void *data);
void knobs_result_release(struct knobs_result *r);

#endif

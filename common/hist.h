#ifndef COMMON_HIST_H
#define COMMON_HIST_H

#include <stdint.h>

/*
 * A log-linear histogram of non-negative integers (latencies in
 * microseconds, say): exact below 64, then 32 buckets per power of two,
 * so a reported percentile is within 1.6% of the true value. Fixed
 * size, no allocation: cheap to copy for interval snapshots and to
 * subtract (interval = snapshot - previous snapshot).
 */
#define HIST_SUB_BITS 6
#define HIST_MAX_BITS 48	/* values clamp at 2^48 - 1 */
#define HIST_BUCKETS ((1 << HIST_SUB_BITS) + \
		      (HIST_MAX_BITS - HIST_SUB_BITS) * (1 << (HIST_SUB_BITS - 1)))

struct hist {
	uint64_t n;		/* values recorded */
	uint64_t sum;		/* their sum (same unit as the values) */
	uint64_t min, max;	/* exact extremes; min is UINT64_MAX when empty */
	uint32_t count[HIST_BUCKETS];
};

void hist_init(struct hist *h);
void hist_add(struct hist *h, uint64_t v);
/* h += other */
void hist_merge(struct hist *h, const struct hist *other);
/*
 * out = now - before, for cumulative snapshots of one histogram; min
 * and max of the difference are bucket bounds, not exact.
 */
void hist_diff(struct hist *out, const struct hist *now, const struct hist *before);
/* The q-quantile (0 <= q <= 1), NaN when empty. */
double hist_quantile(const struct hist *h, double q);
double hist_mean(const struct hist *h);

/*
 * A histogram as JSON, to merge histograms of several processes later:
 * {"n", "sum", "min", "max", "buckets": [[lower bound, count], ...]}
 * with empty buckets left out. from_json returns -1 on a malformed one.
 */
struct json_t;
struct json_t *hist_to_json(const struct hist *h);
int hist_from_json(struct hist *out, const struct json_t *j);

/*
 * Percentiles for humans: {"n", "mean", "p50", "p90", "p99", "p999",
 * "max"}, each value divided by div (1e3: nanoseconds shown as us).
 */
struct json_t *hist_percentiles_json(const struct hist *h, double div);

/* Bucket index of v and the range [lo, hi] of values a bucket holds. */
unsigned hist_bucket(uint64_t v);
void hist_bucket_range(unsigned b, uint64_t *lo, uint64_t *hi);

#endif

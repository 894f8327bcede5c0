#include "common/hist.h"

#include "common/json.h"

#include <math.h>
#include <string.h>

#define SUB (1u << HIST_SUB_BITS)
#define HALF (SUB / 2)
#define VMAX ((1ULL << HIST_MAX_BITS) - 1)

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned hist_bucket(uint64_t v)
{
	unsigned msb, shift;

	if (v > VMAX)
		v = VMAX;
	if (v < SUB)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - (HIST_SUB_BITS - 1);
	return SUB + (msb - HIST_SUB_BITS) * HALF + (unsigned)((v >> shift) - HALF);
}

void hist_bucket_range(unsigned b, uint64_t *lo, uint64_t *hi)
{
	unsigned octave, shift;
	uint64_t top;

	if (b < SUB) {
		*lo = *hi = b;
		return;
	}
	octave = (b - SUB) / HALF;
	top = HALF + (b - SUB) % HALF;
	shift = octave + 1;
	*lo = top << shift;
	*hi = ((top + 1) << shift) - 1;
}

void hist_add(struct hist *h, uint64_t v)
{
	h->count[hist_bucket(v)]++;
	h->n++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void hist_merge(struct hist *h, const struct hist *o)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		h->count[i] += o->count[i];
	h->n += o->n;
	h->sum += o->sum;
	if (o->min < h->min)
		h->min = o->min;
	if (o->max > h->max)
		h->max = o->max;
}

void hist_diff(struct hist *out, const struct hist *now, const struct hist *before)
{
	int first = -1, last = -1;
	uint64_t lo, hi;

	hist_init(out);
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		out->count[i] = now->count[i] - before->count[i];
		if (out->count[i]) {
			if (first < 0)
				first = (int)i;
			last = (int)i;
		}
	}
	out->n = now->n - before->n;
	out->sum = now->sum - before->sum;
	if (first < 0)
		return;
	hist_bucket_range((unsigned)first, &lo, &hi);
	out->min = lo > now->min ? lo : now->min;
	hist_bucket_range((unsigned)last, &lo, &hi);
	out->max = hi < now->max ? hi : now->max;
}

double hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0, lo, hi;

	if (!h->n)
		return NAN;
	if (q <= 0)
		return (double)h->min;
	if (q >= 1)
		return (double)h->max;
	rank = (uint64_t)ceil(q * (double)h->n);
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen < rank)
			continue;
		hist_bucket_range(i, &lo, &hi);
		/* the bucket's midpoint, never outside what was recorded */
		double v = ((double)lo + (double)hi) / 2;

		if (v < (double)h->min)
			v = (double)h->min;
		if (v > (double)h->max)
			v = (double)h->max;
		return v;
	}
	return (double)h->max;
}

double hist_mean(const struct hist *h)
{
	return h->n ? (double)h->sum / (double)h->n : NAN;
}

json_t *hist_to_json(const struct hist *h)
{
	json_t *o = json_object(), *b = json_array();

	json_set_int(o, "n", (long long)h->n);
	json_set_int(o, "sum", (long long)h->sum);
	json_set_int(o, "min", h->n ? (long long)h->min : 0);
	json_set_int(o, "max", (long long)h->max);
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		uint64_t lo, hi;

		if (!h->count[i])
			continue;
		hist_bucket_range(i, &lo, &hi);
		json_array_append_new(b, json_pack("[I,I]", (json_int_t)lo, (json_int_t)h->count[i]));
	}
	json_set(o, "buckets", b);
	return o;
}

int hist_from_json(struct hist *h, const json_t *j)
{
	const json_t *b = json_object_get(j, "buckets"), *pair;
	size_t i;

	hist_init(h);
	if (!json_is_array(b) || !json_is_integer(json_object_get(j, "n")))
		return -1;
	json_array_foreach(b, i, pair) {
		json_int_t lo, n;

		if (json_unpack((json_t *)pair, "[II]", &lo, &n) || lo < 0 || n <= 0 ||
		    n > UINT32_MAX)
			return -1;
		h->count[hist_bucket((uint64_t)lo)] += (uint32_t)n;
		h->n += (uint64_t)n;
	}
	if ((json_int_t)h->n != json_integer_value(json_object_get(j, "n")))
		return -1;
	h->sum = (uint64_t)json_integer_value(json_object_get(j, "sum"));
	h->min = h->n ? (uint64_t)json_integer_value(json_object_get(j, "min")) : UINT64_MAX;
	h->max = (uint64_t)json_integer_value(json_object_get(j, "max"));
	return 0;
}

json_t *hist_percentiles_json(const struct hist *h, double div)
{
	json_t *o = json_object();

	json_set_int(o, "n", (long long)h->n);
	json_set_num(o, "mean", hist_mean(h) / div);
	json_set_num(o, "p50", hist_quantile(h, 0.50) / div);
	json_set_num(o, "p90", hist_quantile(h, 0.90) / div);
	json_set_num(o, "p99", hist_quantile(h, 0.99) / div);
	json_set_num(o, "p999", hist_quantile(h, 0.999) / div);
	json_set_num(o, "max", h->n ? (double)h->max / div : NAN);
	return o;
}

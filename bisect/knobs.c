/*
 * Delta debugging (Zeller and Hildebrandt, "Simplifying and isolating
 * failure-inducing input", 2002): ddmin over item indexes, with a cache
 * of the subsets already asked about.
 */
#include "bisect/knobs.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

struct memo {
	char **keys;		/* subsets as "i,j,k" */
	int *outcome;
	size_t n, alloc;
};

struct dd {
	knobs_oracle oracle;
	void *data;
	struct memo memo;
	unsigned tests;
};

static char *key_of(const size_t *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "%s%zu", i ? "," : "", s[i]);
	return strbuf_detach(&sb, NULL);
}

static int test(struct dd *dd, const size_t *s, size_t n)
{
	char *key = key_of(s, n);
	int o;

	for (size_t i = 0; i < dd->memo.n; i++)
		if (!strcmp(dd->memo.keys[i], key)) {
			free(key);
			return dd->memo.outcome[i];
		}
	o = dd->oracle(s, n, dd->data);
	dd->tests++;
	if (dd->memo.n == dd->memo.alloc) {
		dd->memo.alloc = dd->memo.alloc ? 2 * dd->memo.alloc : 16;
		dd->memo.keys = xrealloc(dd->memo.keys, dd->memo.alloc * sizeof(char *));
		dd->memo.outcome = xrealloc(dd->memo.outcome, dd->memo.alloc * sizeof(int));
	}
	dd->memo.keys[dd->memo.n] = key;
	dd->memo.outcome[dd->memo.n++] = o;
	return o;
}

/* Subset number i of cur split into g parts (its complement when comp). */
static size_t part(size_t *out, const size_t *cur, size_t n, size_t g, size_t i, int comp)
{
	size_t lo = n * i / g, hi = n * (i + 1) / g, m = 0;

	for (size_t j = 0; j < n; j++)
		if ((j >= lo && j < hi) != comp)
			out[m++] = cur[j];
	return m;
}

/*
 * One ddmin pass at granularity g: a BAD subset or complement replaces
 * cur. Returns 1 if cur shrank (*g updated), 0 if not, < 0 to abort.
 */
static int reduce(struct dd *dd, size_t *cur, size_t *n, size_t *g, size_t *tmp)
{
	for (int comp = 0; comp < 2; comp++) {
		for (size_t i = 0; i < *g; i++) {
			size_t m = part(tmp, cur, *n, *g, i, comp);
			int o;

			if (!m || m == *n)
				continue;
			if ((o = test(dd, tmp, m)) < 0)
				return o;
			if (o != KNOBS_BAD)
				continue;
			memcpy(cur, tmp, m * sizeof(*cur));
			*n = m;
			*g = comp ? (*g > 2 ? *g - 1 : 2) : 2;
			return 1;
		}
	}
	return 0;
}

int knobs_ddmin(struct knobs_result *out, size_t n, knobs_oracle oracle, void *data)
{
	struct dd dd = { oracle, data, { 0 }, 0 };
	size_t *cur = xcalloc(n + 1, sizeof(size_t)), *tmp = xcalloc(n + 1, sizeof(size_t));
	size_t g = 2;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		cur[i] = i;
	if ((ret = test(&dd, cur, n)) >= 0 && ret != KNOBS_BAD) {
		error("knobs: the whole set of %zu items does not reproduce the regression", n);
		ret = PERFLAB_EINVAL;
	} else if (ret >= 0) {
		ret = 0;
	}
	while (!ret && n >= 2) {
		int r = reduce(&dd, cur, &n, &g, tmp);

		if (r < 0)
			ret = r;
		else if (!r && g >= n)
			break;
		else if (!r)
			g = 2 * g < n ? 2 * g : n;
	}
	if (!ret) {
		out->items = cur;
		out->n = n;
		cur = NULL;
	}
	out->tests = dd.tests;
	for (size_t i = 0; i < dd.memo.n; i++)
		free(dd.memo.keys[i]);
	free(dd.memo.keys);
	free(dd.memo.outcome);
	free(cur);
	free(tmp);
	return ret;
}

void knobs_result_release(struct knobs_result *r)
{
	free(r->items);
	r->items = NULL;
	r->n = 0;
}

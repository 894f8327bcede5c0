/*
 * The `perflab top` table: aggregation by function and its text and
 * JSON forms.
 */
#include "reports/top.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void top_init(struct top *t, const int *cpus, int ncpus)
{
	memset(t, 0, sizeof(*t));
	t->ncpus = ncpus > 0 ? ncpus : 0;
	t->cpus = xmalloc(((size_t)t->ncpus + 1) * sizeof(*t->cpus));
	memcpy(t->cpus, cpus, (size_t)t->ncpus * sizeof(*t->cpus));
	for (int i = 0; i < t->ncpus; i++)
		if (cpus[i] > t->max_cpu)
			t->max_cpu = cpus[i];
	t->cpu_index = xmalloc(((size_t)t->max_cpu + 1) * sizeof(*t->cpu_index));
	for (int i = 0; i <= t->max_cpu; i++)
		t->cpu_index[i] = -1;
	for (int i = 0; i < t->ncpus; i++)
		t->cpu_index[cpus[i]] = i;
}

static void free_rows(struct top *t)
{
	for (size_t i = 0; i < t->nr; i++) {
		free(t->rows[i].func);
		free(t->rows[i].module);
		free(t->rows[i].per_cpu);
	}
	free(t->rows);
	free(t->slots);
	t->rows = NULL;
	t->slots = NULL;
	t->nr = t->alloc = t->nslots = 0;
	t->samples = t->other_cpu = 0;
}

void top_release(struct top *t)
{
	free_rows(t);
	free(t->cpus);
	free(t->cpu_index);
	memset(t, 0, sizeof(*t));
}

void top_reset(struct top *t)
{
	free_rows(t);
}

static size_t hash2(const char *a, const char *b)
{
	size_t h = 14695981039346656037ULL;

	while (*a)
		h = (h ^ (unsigned char)*a++) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	while (*b)
		h = (h ^ (unsigned char)*b++) * 1099511628211ULL;
	return h;
}

/* Rebuild the hash with twice the rows' room. */
static void rehash(struct top *t)
{
	t->nslots = t->nslots ? t->nslots * 2 : 64;
	free(t->slots);
	t->slots = xcalloc(t->nslots, sizeof(*t->slots));
	for (size_t i = 0; i < t->nr; i++) {
		size_t s = hash2(t->rows[i].func, t->rows[i].module) & (t->nslots - 1);

		while (t->slots[s])
			s = (s + 1) & (t->nslots - 1);
		t->slots[s] = i + 1;
	}
}

static struct top_row *find_row(struct top *t, const char *func, const char *module)
{
	size_t s;
	struct top_row *r;

	if ((t->nr + 1) * 2 > t->nslots)
		rehash(t);
	s = hash2(func, module) & (t->nslots - 1);
	for (; t->slots[s]; s = (s + 1) & (t->nslots - 1)) {
		r = &t->rows[t->slots[s] - 1];
		if (!strcmp(r->func, func) && !strcmp(r->module, module))
			return r;
	}
	ALLOC_GROW(t->rows, t->nr + 1, t->alloc);
	r = &t->rows[t->nr++];
	r->func = xstrdup(func);
	r->module = xstrdup(module);
	r->samples = 0;
	r->per_cpu = xcalloc((size_t)t->ncpus + 1, sizeof(*r->per_cpu));
	t->slots[s] = t->nr;
	return r;
}

void top_add(struct top *t, const char *func, const char *module, int cpu, uint64_t n)
{
	struct top_row *r = find_row(t, func, module);
	int i = cpu >= 0 && cpu <= t->max_cpu ? t->cpu_index[cpu] : -1;

	r->samples += n;
	t->samples += n;
	if (i >= 0)
		r->per_cpu[i] += n;
	else
		t->other_cpu += n;
}

static int row_cmp(const void *pa, const void *pb)
{
	const struct top_row *a = *(const struct top_row *const *)pa;
	const struct top_row *b = *(const struct top_row *const *)pb;
	int c;

	if (a->samples != b->samples)
		return a->samples > b->samples ? -1 : 1;
	c = strcmp(a->func, b->func);
	return c ? c : strcmp(a->module, b->module);
}

const struct top_row **top_ranked(const struct top *t)
{
	const struct top_row **v = xmalloc((t->nr + 1) * sizeof(*v));

	for (size_t i = 0; i < t->nr; i++)
		v[i] = &t->rows[i];
	qsort(v, t->nr, sizeof(*v), row_cmp);
	return v;
}

static double share_pct(uint64_t part, uint64_t all)
{
	return all ? 100.0 * (double)part / (double)all : 0.0;
}

#define MODULE_COLS 20		/* characters of the module column */
#define FIXED_COLS 18		/* "  SHARE  SAMPLES  " */

/* Add s in exactly cols characters, cut with '+' when longer (cols 0: all). */
static void add_cell(struct strbuf *out, const char *s, int cols, int pad)
{
	int len = (int)strlen(s);

	if (cols > 0 && len > cols) {
		strbuf_add(out, s, (size_t)cols - 1);
		strbuf_addch(out, '+');
		return;
	}
	strbuf_addstr(out, s);
	while (pad && cols > len++)
		strbuf_addch(out, ' ');
}

static int func_cols(const struct top *t, const struct top_format *f)
{
	int cols;

	if (!f->width)
		return 40;
	cols = f->width - FIXED_COLS - MODULE_COLS - 2 - (f->per_cpu ? 9 * t->ncpus : 0);
	return cols < 16 ? 16 : cols;
}

static void format_heading(const struct top *t, const struct top_format *f, int fc,
			   struct strbuf *out)
{
	strbuf_addstr(out, "  SHARE  SAMPLES  ");
	for (int i = 0; f->per_cpu && i < t->ncpus; i++) {
		char name[16];

		snprintf(name, sizeof(name), "CPU%d", t->cpus[i]);
		strbuf_addf(out, "%8s ", name);
	}
	add_cell(out, "FUNCTION", fc, 1);
	strbuf_addstr(out, "  MODULE\n");
}

void top_format_table(const struct top *t, const struct top_format *f, struct strbuf *out)
{
	const struct top_row **v = top_ranked(t);
	size_t n = t->nr;
	int fc = func_cols(t, f);

	if (f->max_rows > 0 && (size_t)f->max_rows < n)
		n = (size_t)f->max_rows;
	format_heading(t, f, fc, out);
	for (size_t i = 0; i < n; i++) {
		strbuf_addf(out, "%6.1f%% %8llu  ", share_pct(v[i]->samples, t->samples),
			    (unsigned long long)v[i]->samples);
		for (int c = 0; f->per_cpu && c < t->ncpus; c++)
			strbuf_addf(out, "%8llu ", (unsigned long long)v[i]->per_cpu[c]);
		add_cell(out, v[i]->func, fc, 1);
		strbuf_addstr(out, "  ");
		add_cell(out, v[i]->module, f->width ? MODULE_COLS : 0, 0);
		strbuf_addch(out, '\n');
	}
	if (n < t->nr)
		strbuf_addf(out, "  (%zu more functions)\n", t->nr - n);
	free(v);
}

static json_t *row_json(const struct top *t, const struct top_row *r)
{
	json_t *o = json_object(), *cpus = json_object();

	json_set_num(o, "share_pct", share_pct(r->samples, t->samples));
	json_set_int(o, "samples", (long long)r->samples);
	json_set_str(o, "function", r->func);
	json_set_str(o, "module", r->module);
	for (int c = 0; c < t->ncpus; c++) {
		char key[16];

		snprintf(key, sizeof(key), "%d", t->cpus[c]);
		json_set_int(cpus, key, (long long)r->per_cpu[c]);
	}
	json_set(o, "per_cpu", cpus);
	return o;
}

json_t *top_json(const struct top *t, int max_rows)
{
	const struct top_row **v = top_ranked(t);
	json_t *o = json_object(), *rows = json_array();
	size_t n = t->nr;

	if (max_rows > 0 && (size_t)max_rows < n)
		n = (size_t)max_rows;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(rows, row_json(t, v[i]));
	json_set_int(o, "samples", (long long)t->samples);
	json_set_int(o, "functions", (long long)t->nr);
	json_set(o, "rows", rows);
	free(v);
	return o;
}

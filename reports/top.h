#ifndef REPORTS_TOP_H
#define REPORTS_TOP_H

#include <stddef.h>
#include <stdint.h>

struct json_t;
struct strbuf;

/*
 * The `perflab top` table: samples counted per (function, module), with
 * a split by CPU, ranked by share of all samples. One table per
 * interval and one for the whole run.
 */
struct top_row {
	char *func;		/* owned: function name or "[unknown]" */
	char *module;		/* owned: "kernel", a DSO basename, ... */
	uint64_t samples;	/* in this table */
	uint64_t *per_cpu;	/* samples by CPU index (as top->cpus) */
};

struct top {
	int *cpus;		/* the CPU ids sampled, ncpus of them */
	int ncpus;
	int *cpu_index;		/* CPU id -> index into cpus, -1 when not sampled */
	int max_cpu;		/* highest id in cpus */
	struct top_row *rows;
	size_t nr, alloc;
	size_t *slots;		/* hash of rows: index + 1, 0 = empty */
	size_t nslots;		/* a power of two */
	uint64_t samples;	/* all samples in the table */
	uint64_t other_cpu;	/* samples from CPUs not in cpus (should be none) */
};

void top_init(struct top *t, const int *cpus, int ncpus);
void top_release(struct top *t);
/* Empty the table for the next interval, keeping its CPUs. */
void top_reset(struct top *t);
/* Count n samples of func in module taken on CPU id cpu. */
void top_add(struct top *t, const char *func, const char *module, int cpu, uint64_t n);
/*
 * The rows by samples, most first (ties by function, then module
 * name). The array is the caller's to free; the rows stay the table's.
 */
const struct top_row **top_ranked(const struct top *t);

struct top_format {
	int max_rows;		/* 0 = all */
	int per_cpu;		/* a samples column for each CPU */
	int width;		/* characters per line; 0 = do not cut names */
};

/* Append the table (a heading line, then one line per row) to out. */
void top_format_table(const struct top *t, const struct top_format *f, struct strbuf *out);
/*
 * The table as JSON: {"samples": N, "functions": N, "rows": [{"share_pct",
 * "samples", "function", "module", "per_cpu": {"0": n, ...}}]}, at most
 * max_rows rows (0 = all). A new reference.
 */
struct json_t *top_json(const struct top *t, int max_rows);

#endif

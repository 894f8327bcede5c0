#include "lab/thresholds.h"
#include "lab/config.h"
#include "common/util.h"

#include <stddef.h>

const struct opt *thresholds_table(void)
{
	static struct opt table[THRESHOLDS_MAX + 1];
	static int made;
	size_t n = 0;

	if (made)
		return table;
	for (const struct metric_def *m = metric_defs; m->name && n < THRESHOLDS_MAX; m++) {
		if (!m->worse)
			continue;
		table[n] = (struct opt){
			.name = m->name, .type = OPT_PERCENT,
			.offset = offsetof(struct thresholds, v) + n * sizeof(double),
			.argh = "PCT", .help = m->help,
		};
		n++;
	}
	table[n] = (struct opt)OPT_END_ROW;
	made = 1;
	return table;
}

int thresholds_gates(const struct cfg_file *f, const struct cfg_section *s, struct gate *out,
		     size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nr; i++) {
		if (n == max)
			return error("%s:%d: too many thresholds", f->path, s->v[i].line);
		if (gate_parse(&out[n], s->v[i].key, s->v[i].value))
			return error("%s:%d: in [thresholds]", f->path, s->v[i].line);
		n++;
	}
	return (int)n;
}

int thresholds_check(const struct cfg_file *f, const struct cfg_section *s, void *target)
{
	struct gate g[THRESHOLDS_MAX];

	return thresholds_gates(f, s, g, ARRAY_SIZE(g)) < 0 ? -1 : 0;
}

/*
 * A job's [checks] section (see checks.h).
 */
#include "lab/checks.h"
#include "lab/config.h"
#include "lab/run.h"
#include "collectors/tcpcheck.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const struct opt *checks_table(void)
{
	static struct opt table[CHECKS_MAX + 1];
	static char defs[CHECKS_MAX][64];
	struct tcpcheck_thresholds th;
	static int made;
	size_t n = 0;

	if (made)
		return table;
	tcpcheck_thresholds_init(&th);
	for (; tcpcheck_threshold_keys[n] && n < CHECKS_MAX; n++) {
		tcpcheck_threshold_format(defs[n], sizeof(defs[n]), &th, tcpcheck_threshold_keys[n]);
		table[n] = (struct opt){
			.name = tcpcheck_threshold_keys[n], .type = OPT_STRING,
			.offset = offsetof(struct checks, v) + n * sizeof(char *),
			.def = defs[n], .argh = "VALUE",
			.help = "a threshold of the TCP trace's checks (README: the checks)",
		};
	}
	table[n] = (struct opt)OPT_END_ROW;
	made = 1;
	return table;
}

/* One line: a valid value for its key, or an error naming file:line. */
static int check_entry(const struct cfg_file *f, const struct cfg_entry *e)
{
	struct tcpcheck_thresholds th;
	int r;

	tcpcheck_thresholds_init(&th);
	if (strchr(e->value, ';'))
		return error("%s:%d: '%s' in [checks]: a value holds no ';'", f->path, e->line,
			     e->value);
	r = tcpcheck_threshold_set(&th, e->key, e->value);
	if (r == PERFLAB_ENOTFOUND)
		return error("%s:%d: unknown check '%s' in [checks]", f->path, e->line, e->key);
	if (r)
		return error("%s:%d: invalid value '%s' for '%s' in [checks]", f->path, e->line,
			     e->value, e->key);
	return 0;
}

int checks_check(const struct cfg_file *f, const struct cfg_section *s, void *target)
{
	int ret = 0;

	for (size_t i = 0; i < s->nr; i++)
		ret |= check_entry(f, &s->v[i]);
	return ret ? -1 : 0;
}

int checks_apply(const struct cfg_file *f, const struct cfg_section *s, struct run_opts *r)
{
	struct strbuf sb = STRBUF_INIT;

	if (checks_check(f, s, NULL))
		return -1;
	strbuf_addstr(&sb, r->checks ? r->checks : "");
	for (size_t i = 0; i < s->nr; i++)
		strbuf_addf(&sb, "%s%s=%s", sb.len ? ";" : "", s->v[i].key, s->v[i].value);
	free(r->checks);
	r->checks = strbuf_detach(&sb, NULL);
	return 0;
}

#include "collectors/collector.h"
#include "common/json.h"
#include "common/timeutil.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

extern const struct collector_ops cpu_collector;
extern const struct collector_ops freq_collector;
extern const struct collector_ops net_collector;
extern const struct collector_ops pmc_collector;

const struct collector_ops *const collector_list[] = {
	&cpu_collector, &freq_collector, &net_collector, &pmc_collector, NULL
};

static char *cgroup_name;

void collector_set_cgroup(const char *name)
{
	free(cgroup_name);
	cgroup_name = name && *name ? xstrdup(name) : NULL;
}

const char *collector_cgroup(void)
{
	return cgroup_name;
}

struct collector {
	const struct collector_ops *ops;
	void *priv;
	uint64_t t_prev;	/* ns of the previous read, 0 = none */
};

const struct collector_ops *collector_ops_find(const char *name)
{
	for (int i = 0; collector_list[i]; i++)
		if (!strcmp(collector_list[i]->name, name))
			return collector_list[i];
	return NULL;
}

struct collector *collector_open(const char *name, json_t **info_out)
{
	const struct collector_ops *ops = collector_ops_find(name);
	struct collector *c;
	json_t *info;

	if (!ops) {
		error("unknown collector '%s'", name);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->ops = ops;
	c->priv = xcalloc(1, ops->priv_size ? ops->priv_size : 1);
	info = json_object();
	json_set_str(info, "type", "info");
	json_set_str(info, "collector", ops->name);
	json_set_num(info, "t_mono_s", mono_s());
	if (ops->open(c->priv, info)) {
		json_decref(info);
		free(c->priv);
		free(c);
		return NULL;
	}
	if (info_out)
		*info_out = info;
	else
		json_decref(info);
	return c;
}

json_t *collector_sample(struct collector *c)
{
	uint64_t now = mono_ns();
	double dt = c->t_prev ? (double)(now - c->t_prev) / 1e9 : 0;
	json_t *rec = json_object();
	int prev_ok = c->t_prev != 0;

	json_set_str(rec, "type", "sample");
	json_set_num(rec, "t_mono_s", (double)now / 1e9);
	json_set_num(rec, "dt_s", dt);
	if (c->ops->sample(c->priv, rec, dt, prev_ok)) {
		json_decref(rec);
		c->t_prev = 0;	/* start over from a fresh baseline */
		return NULL;
	}
	c->t_prev = now;
	if (!prev_ok) {
		json_decref(rec);
		return NULL;
	}
	return rec;
}

void collector_free(struct collector *c)
{
	if (!c)
		return;
	if (c->ops->close)
		c->ops->close(c->priv);
	free(c->priv);
	free(c);
}

/*
 * Recorders: on the same list as the collectors, but not collector_ops
 * (they record continuously into their own file, for the run's ports):
 * `perflab collect` starts them itself. "all" does not include them (the
 * TCP trace needs root and costs on every segment).
 */
const char *const collector_recorders[] = { "tcptrace", NULL };

int collector_is_recorder(const char *name)
{
	for (int i = 0; collector_recorders[i]; i++)
		if (!strcmp(collector_recorders[i], name))
			return 1;
	return 0;
}

static const char *recorder_name(const char *name)
{
	for (int i = 0; collector_recorders[i]; i++)
		if (!strcmp(collector_recorders[i], name))
			return collector_recorders[i];
	return NULL;
}

int collector_list_parse(const char *list, const char ***out)
{
	const char **v = xcalloc(ARRAY_SIZE(collector_list) + ARRAY_SIZE(collector_recorders) + 1,
				 sizeof(*v));
	char *copy = xstrdup(list), *save = NULL;
	int n = 0;

	if (!strcmp(list, "all")) {
		for (; collector_list[n]; n++)
			v[n] = collector_list[n]->name;
	} else if (strcmp(list, "none") && *list) {
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			const struct collector_ops *ops = collector_ops_find(t);
			const char *name = ops ? ops->name : recorder_name(t);
			int dup = 0;

			if (!name) {
				struct strbuf known = STRBUF_INIT;

				for (int k = 0; collector_list[k]; k++)
					strbuf_addf(&known, "%s%s", k ? ", " : "",
						    collector_list[k]->name);
				for (int k = 0; collector_recorders[k]; k++)
					strbuf_addf(&known, ", %s", collector_recorders[k]);
				error("unknown collector '%s' (known: %s)", t, known.buf);
				strbuf_release(&known);
				free(copy);
				free(v);
				return -1;
			}
			for (int i = 0; i < n; i++)
				dup |= v[i] == name;
			if (!dup)
				v[n++] = name;
		}
	}
	free(copy);
	*out = v;
	return n;
}

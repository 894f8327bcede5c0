/*
 * perflab fingerprint diff, the engine: walk two fingerprints member by
 * member, rank what differs and render it.
 */
#include "verdict/fpdiff.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#define PATH_COL_MAX 44		/* columns of the path column, at most */
#define LONG_VALUE 40		/* characters past which strings are diffed by word */

/*
 * The ranking, most suspicious first: the first row whose section and
 * rest-of-path patterns (fnmatch) match gives a change its rank.
 */
static const struct rank {
	const char *section, *rest, *what;
} ranks[] = {
	/*
	 * Another frequency driver attached: the CPU may run at another
	 * clock with nothing else changed. The cause in the story perflab
	 * was built for (p4tcc instead of est), so it leads.
	 */
	{ "cpufreq", "driver", "frequency driver" },
	/* The governor picks the clock within what the driver offers. */
	{ "cpufreq", "governor", "frequency governor" },
	{ "cpufreq", "policies.*.governor", "frequency governor" },
	/* intel_pstate/amd_pstate active vs passive: who runs the P-states. */
	{ "cpufreq", "*pstate_status", "P-state mode" },
	/* EPP: how eagerly hardware P-states climb. */
	{ "cpufreq", "epp", "energy-performance preference" },
	{ "cpufreq", "policies.*.epp", "energy-performance preference" },
	/* Limits, turbo and the levels on offer: a lower ceiling, a lower clock. */
	{ "cpufreq", "*", "frequency limits" },
	/* Deep C-states cost wake-up latency on every interrupt. */
	{ "cpuidle", "driver", "idle driver" },
	{ "cpuidle", "*", "idle states" },
	/* Microcode changes errata workarounds and what mitigations cost. */
	{ "cpu", "microcode", "microcode" },
	/* SMT: two threads share one core's pipeline. */
	{ "cpu", "smt_*", "SMT" },
	/* Another model or fewer CPUs online is close to another machine. */
	{ "cpu", "*", "CPU" },
	/* hpet or acpi_pm instead of tsc makes every timestamp a slow read. */
	{ "clocksource", "*", "clocksource" },
	/* The kernel itself, then its boot options (mitigations=, idle=, isolcpus=). */
	{ "kernel", "release", "kernel release" },
	{ "kernel", "cmdline", "kernel command line" },
	{ "kernel", "*", "kernel build" },
	{ "os", "*", "OS" },
	/* Mitigations tax every system call and context switch. */
	{ "mitigations", "*", "mitigation" },
	/* The congestion control and the stack decide goodput directly... */
	{ "tcp", "*", "TCP stack" },
	/* ...and the socket buffers, queues and TCP options bound it. */
	{ "sysctl", "*", "sysctl" },
	/* A NIC driver or firmware change brings its own defaults... */
	{ "nics", "*.driver*", "NIC driver" },
	{ "nics", "*.firmware", "NIC firmware" },
	/* ...queues, rings and offloads are what such defaults are made of. */
	{ "nics", "*", "NIC setting" },
	/* Modules and devices mostly explain the rows above; listed last. */
	{ "modules", "*", "modules" },
	{ "devices", "*", "device" },
	{ "*", "*", "other" },
};

/* Rows next to each other with one name share a rank: the ranks are dense. */
int fp_diff_rank(const char *section, const char *rest, const char **what)
{
	size_t i;
	int rank = 0;

	for (i = 0; i + 1 < ARRAY_SIZE(ranks); i++) {
		if (i && strcmp(ranks[i].what, ranks[i - 1].what))
			rank++;
		if (!fnmatch(ranks[i].section, section, 0) && !fnmatch(ranks[i].rest, rest, 0))
			break;
	}
	if (i + 1 == ARRAY_SIZE(ranks))
		rank++;
	if (what)
		*what = ranks[i].what;
	return rank;
}

/* The strings of list that are not in other, as a new array. */
static json_t *list_minus(const json_t *list, const json_t *other)
{
	json_t *out = json_array(), *e, *f;
	size_t i, j;

	json_array_foreach(list, i, e) {
		int found = 0;

		json_array_foreach(other, j, f)
			if (json_equal(e, f)) {
				found = 1;
				break;
			}
		if (!found)
			json_array_append(out, e);
	}
	return out;
}

static void add_change(struct fp_diff *d, const char *path, const json_t *a, const json_t *b)
{
	struct fp_change *c;
	const char *dot = strchr(path, '.');
	char *section = xstrndup(path, dot ? (size_t)(dot - path) : strlen(path));

	ALLOC_GROW(d->v, d->nr + 1, d->alloc);
	c = &d->v[d->nr++];
	memset(c, 0, sizeof(*c));
	c->rank = fp_diff_rank(section, dot ? dot + 1 : "", &c->what);
	c->path = xstrdup(path);
	c->a = a ? json_deep_copy(a) : NULL;
	c->b = b ? json_deep_copy(b) : NULL;
	free(section);
}

/* Lists of names compare as sets: what was added, what removed. */
static void diff_lists(struct fp_diff *d, const char *path, const json_t *a, const json_t *b)
{
	json_t *empty = json_array();
	json_t *added = list_minus(json_is_string_list(b) ? b : empty, json_is_string_list(a) ? a : empty);
	json_t *removed = list_minus(json_is_string_list(a) ? a : empty, json_is_string_list(b) ? b : empty);

	if (json_array_size(added) || json_array_size(removed) || !a != !b ||
	    json_is_null(a) != json_is_null(b)) {
		add_change(d, path, a, b);
		d->v[d->nr - 1].added = json_incref(added);
		d->v[d->nr - 1].removed = json_incref(removed);
	}
	json_decref(added);
	json_decref(removed);
	json_decref(empty);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of a and b (either may be NULL or not an object), sorted, unique. */
static size_t union_keys(const json_t *a, const json_t *b, const char ***out)
{
	size_t n = json_object_size(a) + json_object_size(b), k = 0, u = 0;
	const char **v = xcalloc(n + 1, sizeof(*v));
	const char *key;
	json_t *val;

	json_object_foreach((json_t *)(json_is_object(a) ? a : NULL), key, val)
		v[k++] = key;
	json_object_foreach((json_t *)(json_is_object(b) ? b : NULL), key, val)
		v[k++] = key;
	if (k)
		qsort(v, k, sizeof(*v), cmp_str);
	for (size_t i = 0; i < k; i++)
		if (!u || strcmp(v[i], v[u - 1]))
			v[u++] = v[i];
	*out = v;
	return u;
}

static int absent_or_null(const json_t *v)
{
	return !v || json_is_null(v);
}

static void walk(struct fp_diff *d, struct strbuf *path, const json_t *a, const json_t *b);

static void walk_objects(struct fp_diff *d, struct strbuf *path, const json_t *a,
			 const json_t *b)
{
	const char **keys;
	size_t n = union_keys(a, b, &keys), len = path->len;

	for (size_t i = 0; i < n; i++) {
		if (len)
			strbuf_addch(path, '.');
		strbuf_addstr(path, keys[i]);
		walk(d, path, json_object_get(a, keys[i]), json_object_get(b, keys[i]));
		strbuf_setlen(path, len);
	}
	free(keys);
}

static void walk(struct fp_diff *d, struct strbuf *path, const json_t *a, const json_t *b)
{
	int obj_a = json_is_object(a), obj_b = json_is_object(b);

	if ((obj_a || absent_or_null(a)) && (obj_b || absent_or_null(b)) && (obj_a || obj_b))
		walk_objects(d, path, a, b);
	else if ((json_is_string_list(a) || absent_or_null(a)) &&
		 (json_is_string_list(b) || absent_or_null(b)) && (json_is_array(a) || json_is_array(b)))
		diff_lists(d, path->buf, a, b);
	else if (!(absent_or_null(a) && absent_or_null(b)) && !json_equal((json_t *)a, (json_t *)b))
		add_change(d, path->buf, a, b);
}

static int change_cmp(const void *va, const void *vb)
{
	const struct fp_change *a = va, *b = vb;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return strcmp(a->path, b->path);
}

void fp_diff_compute(struct fp_diff *out, const json_t *a, const json_t *b)
{
	struct strbuf path = STRBUF_INIT;
	json_t *ca = json_copy((json_t *)a), *cb = json_copy((json_t *)b);

	/* the stored hash says nothing the members do not */
	json_object_del(ca, "sha256");
	json_object_del(cb, "sha256");
	memset(out, 0, sizeof(*out));
	walk(out, &path, ca, cb);
	if (out->nr)
		qsort(out->v, out->nr, sizeof(*out->v), change_cmp);
	strbuf_release(&path);
	json_decref(ca);
	json_decref(cb);
}

void fp_diff_release(struct fp_diff *d)
{
	for (size_t i = 0; i < d->nr; i++) {
		free(d->v[i].path);
		json_decref(d->v[i].a);
		json_decref(d->v[i].b);
		json_decref(d->v[i].added);
		json_decref(d->v[i].removed);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

void fp_format_value(struct strbuf *out, const json_t *v)
{
	size_t i;
	json_t *e;
	char *s;

	switch (json_typeof(v)) {
	case JSON_STRING: strbuf_addstr(out, *json_string_value(v) ? json_string_value(v) : "\"\"");
		break;
	case JSON_INTEGER: strbuf_addf(out, "%lld", (long long)json_integer_value(v)); break;
	case JSON_REAL: strbuf_addf(out, "%g", json_real_value(v)); break;
	case JSON_TRUE: strbuf_addstr(out, "yes"); break;
	case JSON_FALSE: strbuf_addstr(out, "no"); break;
	case JSON_NULL: strbuf_addstr(out, "-"); break;
	case JSON_ARRAY:
		if (json_is_string_list(v) && json_array_size(v)) {
			json_array_foreach(v, i, e)
				strbuf_addf(out, "%s%s", i ? " " : "", json_string_value(e));
			break;
		}
		/* fall through */
	default:
		s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		strbuf_addstr(out, s ? s : "?");
		free(s);
	}
}

/* A side of a change: "(absent)" where the member is missing. */
static void side(struct strbuf *out, const json_t *v)
{
	if (!v)
		strbuf_addstr(out, "(absent)");
	else if (json_is_null(v))
		strbuf_addstr(out, "(none)");
	else
		fp_format_value(out, v);
}

char *fp_diff_alert(const struct fp_diff *d)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < d->nr; i++) {
		if (strcmp(d->v[i].path, "cpufreq.driver"))
			continue;
		strbuf_addstr(&sb, "the CPU frequency driver changed: ");
		side(&sb, d->v[i].a);
		strbuf_addstr(&sb, " -> ");
		side(&sb, d->v[i].b);
		strbuf_addstr(&sb, "; the CPU may now run at a different clock");
		return strbuf_detach(&sb, NULL);
	}
	return NULL;
}

/* Words of b not in a with '+', of a not in b with '-': long command lines. */
static int word_diff(struct strbuf *out, const char *a, const char *b)
{
	json_t *wa = json_array(), *wb = json_array(), *plus, *minus, *e;
	char *ca = xstrdup(a), *cb = xstrdup(b), *save;
	size_t i, len = out->len;

	for (char *w = strtok_r(ca, " ", &save); w; w = strtok_r(NULL, " ", &save))
		json_array_append_new(wa, json_string(w));
	for (char *w = strtok_r(cb, " ", &save); w; w = strtok_r(NULL, " ", &save))
		json_array_append_new(wb, json_string(w));
	minus = list_minus(wa, wb);
	plus = list_minus(wb, wa);
	json_array_foreach(minus, i, e)
		strbuf_addf(out, "%s-%s", out->len > len ? " " : "", json_string_value(e));
	json_array_foreach(plus, i, e)
		strbuf_addf(out, "%s+%s", out->len > len ? " " : "", json_string_value(e));
	json_decref(wa);
	json_decref(wb);
	json_decref(plus);
	json_decref(minus);
	free(ca);
	free(cb);
	return out->len > len;
}

static void format_change(struct strbuf *out, const struct fp_change *c)
{
	size_t i;
	json_t *e;
	const char *sa = json_string_value(c->a), *sb = json_string_value(c->b);

	if (c->added || c->removed) {
		size_t len = out->len;

		json_array_foreach(c->removed, i, e)
			strbuf_addf(out, "%s-%s", out->len > len ? " " : "", json_string_value(e));
		json_array_foreach(c->added, i, e)
			strbuf_addf(out, "%s+%s", out->len > len ? " " : "", json_string_value(e));
		if (out->len > len)
			return;
	}
	if (sa && sb && (strlen(sa) > LONG_VALUE || strlen(sb) > LONG_VALUE) &&
	    word_diff(out, sa, sb))
		return;
	side(out, c->a);
	strbuf_addstr(out, " -> ");
	side(out, c->b);
}

void fp_diff_format(struct strbuf *out, const struct fp_diff *d)
{
	char *alert = fp_diff_alert(d);
	int w_what = 0, w_path = 0;

	if (alert)
		strbuf_addf(out, "!!! %s\n", alert);
	free(alert);
	for (size_t i = 0; i < d->nr; i++) {
		int lw = (int)strlen(d->v[i].what), lp = (int)strlen(d->v[i].path);

		w_what = lw > w_what ? lw : w_what;
		w_path = lp > w_path ? (lp < PATH_COL_MAX ? lp : PATH_COL_MAX) : w_path;
	}
	for (size_t i = 0; i < d->nr; i++) {
		strbuf_addf(out, "  %-*s  %-*s  ", w_what, d->v[i].what, w_path, d->v[i].path);
		format_change(out, &d->v[i]);
		strbuf_addch(out, '\n');
	}
}

static json_t *change_json(const struct fp_change *c)
{
	json_t *o = json_object();

	json_set_int(o, "rank", c->rank);
	json_set_str(o, "what", c->what);
	json_set_str(o, "path", c->path);
	json_set(o, "a", c->a ? json_incref(c->a) : json_null());
	json_set(o, "b", c->b ? json_incref(c->b) : json_null());
	json_set(o, "a_absent", json_boolean(!c->a));
	json_set(o, "b_absent", json_boolean(!c->b));
	if (c->added)
		json_set(o, "added", json_incref(c->added));
	if (c->removed)
		json_set(o, "removed", json_incref(c->removed));
	return o;
}

json_t *fp_diff_json(const struct fp_diff *d)
{
	json_t *o = json_object(), *alerts = json_array(), *changes = json_array();
	char *alert = fp_diff_alert(d);

	if (alert)
		json_array_append_new(alerts, json_string(alert));
	free(alert);
	for (size_t i = 0; i < d->nr; i++)
		json_array_append_new(changes, change_json(&d->v[i]));
	json_set(o, "alerts", alerts);
	json_set(o, "changes", changes);
	return o;
}

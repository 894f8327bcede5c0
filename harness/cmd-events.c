/*
 * perflab events: the events a PMU has, and how one encodes. Works for
 * every PMU libpfm4 knows, whether this host has it or not, so an
 * engineer can check an event name for a lab machine from a laptop.
 */
#include "harness/builtin.h"
#include "collectors/pmc.h"
#include "collectors/pmcname.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/parse.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct events_opts {
	char *pmu;
	char *encode;
	int list_pmus;
	int aliases;
	int json;
};

#define O(name, sh, type, field, def, argh, help) \
	{ name, sh, type, offsetof(struct events_opts, field), 0, 0, NULL, def, argh, help }

static const struct opt events_table[] = {
	O("pmu", 0, OPT_STRING, pmu, NULL, "NAME",
	  "a libpfm4 PMU (snb, skx, amd64_fam19h_zen3, perf), present or not; "
	  "default: this host's core PMU"),
	O("encode", 'e', OPT_STRING, encode, NULL, "EVENTS",
	  "print the perf_event_attr encoding of each event of a comma-separated list"),
	O("list-pmus", 'l', OPT_BOOL, list_pmus, NULL, NULL, "list the PMUs libpfm4 knows"),
	O("aliases", 0, OPT_BOOL, aliases, NULL, NULL,
	  "list pmcstat names perflab translates to libpfm4's"),
	O("json", 'J', OPT_BOOL, json, NULL, NULL,
	  "the same as JSON: an array of events, encodings, PMUs or aliases"),
	OPT_END_ROW
};

const struct cmd_help help_events = {
	"events", "perflab events [--pmu NAME] [--json] [PATTERN]\n"
	"perflab events [--pmu NAME] [--json] --encode EVENT[,EVENT...]\n"
	"perflab events [--json] --list-pmus | --aliases",
	"List a PMU's events whose name (EVENT or EVENT:UMASK) contains PATTERN\n"
	"(or matches it, with * ? [ ]); or encode events as perf_event_open\n"
	"counts them. Events take libpfm4's names (UOPS_EXECUTED:THREAD:c=1:i=1,\n"
	"snb::RESOURCE_STALLS:ANY), perf's generic ones (cycles, task-clock) and\n"
	"pmcstat's (RESOURCE_STALLS.ANY, UOPS_DISPATCHED.THREAD,inv,cmask=1).\n"
	"Every PMU libpfm4 knows works, present on this host or not.",
	{ { NULL, events_table } },
};

static void usage(FILE *f)
{
	help_usage(f, &help_events);
}

static const char *type_name(uint32_t type)
{
	static const char *const names[] = { "hardware", "software", "tracepoint", "hw-cache",
					     "raw", "breakpoint" };

	return type < ARRAY_SIZE(names) ? names[type] : "dynamic PMU";
}

static void print_excl(unsigned excl)
{
	static const char *const names[] = { "user", "kernel", "hv", "host", "guest" };
	int any = 0;

	printf("exclude  ");
	for (int b = 0; b < 5; b++)
		if (excl & (1u << b))
			printf("%s%s", any++ ? " " : "", names[b]);
	printf("%s\n", any ? "" : "-");
}

/*
 * libpfm4's full name of an event does not always encode back to it
 * (on snb, LLC_MISSES is 0x412e but its full name 0x12e): say so.
 */
static void check_round_trip(const struct pmc_event *e)
{
	struct pmc_event back;
	int saved = verbosity;

	verbosity = 0;
	if (!pmc_encode(&back, e->pfm, NULL) &&
	    (back.type != e->type || back.config != e->config || back.config1 != e->config1))
		printf("warning  libpfm4's full name above encodes as type %u config 0x%llx, "
		       "not as this event\n", back.type, (unsigned long long)back.config);
	verbosity = saved;
	pmc_event_release(&back);
}

static json_t *excl_json(unsigned excl)
{
	static const char *const names[] = { "user", "kernel", "hv", "host", "guest" };
	json_t *a = json_array();

	for (int b = 0; b < 5; b++)
		if (excl & (1u << b))
			json_array_append_new(a, json_string(names[b]));
	return a;
}

static json_t *encoding_json(const char *spec, const struct pmc_event *e)
{
	json_t *o = json_object();
	char hex[32];

	json_set_str(o, "event", spec);
	json_set_str(o, "pmu", e->pmu);
	json_set_str(o, "libpfm4", e->pfm);
	json_set_int(o, "type", e->type);
	json_set_str(o, "type_name", type_name(e->type));
	json_set_int(o, "config", (long long)e->config);
	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)e->config);
	json_set_str(o, "config_hex", hex);
	json_set_int(o, "config1", (long long)e->config1);
	json_set_int(o, "config2", (long long)e->config2);
	json_set(o, "exclude", excl_json(e->excl));
	return o;
}

static int encode_one(const char *spec, const char *pmu, json_t *arr)
{
	struct pmc_event e;

	if (pmc_encode(&e, spec, pmu))
		return -1;
	if (arr) {
		json_array_append_new(arr, encoding_json(spec, &e));
		pmc_event_release(&e);
		return 0;
	}
	printf("event    %s\n", spec);
	printf("pmu      %s\n", e.pmu);
	printf("libpfm4  %s\n", e.pfm);
	printf("type     %u (%s)\n", e.type, type_name(e.type));
	printf("config   0x%llx\n", (unsigned long long)e.config);
	printf("config1  0x%llx\n", (unsigned long long)e.config1);
	printf("config2  0x%llx\n", (unsigned long long)e.config2);
	print_excl(e.excl);
	check_round_trip(&e);
	pmc_event_release(&e);
	return 0;
}

static int encode_list(const char *list, const char *pmu, json_t *arr)
{
	char **v;
	int n = pmcname_split(list, &v), ret = 0;

	if (n < 0)
		return EXIT_USAGE;
	for (int i = 0; i < n; i++) {
		if (i && !arr)
			printf("\n");
		if (encode_one(v[i], pmu, arr))
			ret = EXIT_FAIL;
	}
	argv_free(v);
	return ret;
}

static int print_pmu(const struct pmc_pmu_desc *d, void *data)
{
	if (data) {
		json_t *o = json_object();

		json_set_str(o, "pmu", d->name);
		json_set(o, "present", json_boolean(d->present));
		json_set(o, "core", json_boolean(d->is_core));
		json_set_int(o, "events", d->nevents);
		json_set_int(o, "counters", d->ncounters);
		json_set_int(o, "fixed_counters", d->nfixed);
		json_set_str(o, "description", d->desc);
		json_array_append_new(data, o);
		return 0;
	}
	printf("%-28s %-7s %-6s %6d %4d+%-3d %s\n", d->name, d->present ? "yes" : "no",
	       d->is_core ? "core" : "-", d->nevents, d->ncounters, d->nfixed, d->desc);
	return 0;
}

static int list_pmus(json_t *arr)
{
	if (!arr)
		printf("%-28s %-7s %-6s %6s %8s %s\n", "# pmu", "present", "kind", "events",
		       "counters", "description");
	return pmc_for_each_pmu(print_pmu, arr) ? EXIT_FAIL : EXIT_OK;
}

static int list_aliases(json_t *arr)
{
	for (const struct pmcname_alias *a = pmcname_aliases; a->pmcstat; a++) {
		json_t *o;

		if (!arr) {
			printf("%-56s %-48s %s\n", a->pmcstat, a->libpfm4, a->where);
			continue;
		}
		o = json_object();
		json_set_str(o, "pmcstat", a->pmcstat);
		json_set_str(o, "libpfm4", a->libpfm4);
		json_set_str(o, "where", a->where);
		json_array_append_new(arr, o);
	}
	return EXIT_OK;
}

struct listing {
	char *pattern;		/* upper-cased, dots as colons; NULL = all */
	int glob;
	int shown;
	json_t *arr;		/* --json: the events shown, else NULL */
};

/* An event and the unit masks shown of it, as JSON. */
static json_t *event_json(const struct pmc_event_desc *d)
{
	json_t *o = json_object();

	json_set_str(o, "pmu", d->pmu);
	json_set_str(o, "name", d->name);
	json_set_int(o, "code", (long long)d->code);
	json_set_str(o, "description", d->desc);
	if (d->equiv)
		json_set_str(o, "equiv", d->equiv);
	json_set(o, "umasks", json_array());
	return o;
}

static void umask_json(json_t *ev, const struct pmc_umask_desc *u)
{
	json_t *o = json_object();

	json_set_str(o, "name", u->name);
	json_set_int(o, "code", (long long)u->code);
	json_set(o, "default", json_boolean(u->is_default));
	json_set_str(o, "description", u->desc);
	json_array_append_new(json_object_get(ev, "umasks"), o);
}

static int name_matches(const struct listing *l, const char *name)
{
	char up[512];
	size_t i;

	if (!l->pattern)
		return 1;
	for (i = 0; name[i] && i < sizeof(up) - 1; i++)
		up[i] = (char)toupper((unsigned char)name[i]);
	up[i] = '\0';
	return l->glob ? !fnmatch(l->pattern, up, 0) : strstr(up, l->pattern) != NULL;
}

static void print_header(const struct pmc_event_desc *d)
{
	printf("%s::%s  (0x%llx)%s%s\n    %s\n", d->pmu, d->name, (unsigned long long)d->code,
	       d->equiv ? "  = " : "", d->equiv ? d->equiv : "", d->desc);
}

/* An event whose name matches with all its unit masks, else the masks that match. */
static int print_event(const struct pmc_event_desc *d, void *data)
{
	struct listing *l = data;
	int all = name_matches(l, d->name), shown = 0;
	json_t *ev = NULL;

	for (int i = 0; i < d->numasks; i++) {
		const struct pmc_umask_desc *u = &d->umasks[i];
		char full[512];

		snprintf(full, sizeof(full), "%s:%s", d->name, u->name);
		if (!all && !name_matches(l, full))
			continue;
		if (l->arr) {
			if (!shown++)
				ev = event_json(d);
			umask_json(ev, u);
			continue;
		}
		if (!shown++)
			print_header(d);
		printf("  :%-36s 0x%-6llx %s%s\n", u->name, (unsigned long long)u->code,
		       u->is_default ? "(default) " : "", u->desc);
	}
	if (l->arr && all && !shown)
		ev = event_json(d);
	else if (all && !shown)
		print_header(d);
	if (ev)
		json_array_append_new(l->arr, ev);
	l->shown += all || shown;
	return 0;
}

static int list_events(const char *pmu, const char *pattern, json_t *arr)
{
	struct listing l = { NULL, 0, 0, arr };
	int ret;

	if (pattern) {
		l.pattern = xstrdup(pattern);
		for (char *p = l.pattern; *p; p++)
			*p = *p == '.' ? ':' : (char)toupper((unsigned char)*p);
		l.glob = strpbrk(l.pattern, "*?[") != NULL;
	}
	ret = pmc_for_each_event(pmu, print_event, &l);
	free(l.pattern);
	if (ret)
		return EXIT_FAIL;
	if (!l.shown && pattern)
		return error("no event of PMU '%s' matches '%s'", pmu, pattern) ? EXIT_FAIL : 0;
	return EXIT_OK;
}

int cmd_events(int argc, char **argv)
{
	struct events_opts o = { 0 };
	struct optset sets[] = { { events_table, &o }, { NULL, NULL } };
	json_t *arr;
	int i, ret;

	if (wants_help(argc, argv)) {
		usage(stdout);
		return EXIT_OK;
	}
	opt_defaults(events_table, &o);
	i = opt_parse(sets, argc, argv);
	if (i < 0 || argc - i > 1 || (o.encode && i < argc)) {
		if (i >= 0)
			error("unexpected argument '%s'", argv[argc - 1]);
		opt_release(events_table, &o);
		return EXIT_USAGE;
	}
	arr = o.json ? json_array() : NULL;
	if (o.list_pmus)
		ret = list_pmus(arr);
	else if (o.aliases)
		ret = list_aliases(arr);
	else if (o.encode)
		ret = encode_list(o.encode, o.pmu, arr);
	else
		ret = list_events(o.pmu ? o.pmu : pmc_default_pmu(), i < argc ? argv[i] : NULL, arr);
	if (arr && ret != EXIT_USAGE) {
		char *text = json_dump_pretty(arr);

		puts(text);
		free(text);
	}
	json_decref(arr);
	opt_release(events_table, &o);
	return ret;
}

/*
 * perflab fingerprint [--json]: this host's fingerprint.
 * perflab fingerprint diff [--json] A B: what changed between the hosts
 * of two runs, most suspicious first.
 */
#include "harness/builtin.h"
#include "collectors/fingerprint.h"
#include "verdict/fpdiff.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WRAP_COLUMNS 100	/* long values wrap at this width */

struct fp_opts {
	int json;
};

static const struct opt fp_table[] = {
	{ "json", 'J', OPT_BOOL, offsetof(struct fp_opts, json), 0, 0, NULL, NULL, NULL,
	  "print JSON instead of text" },
	OPT_END_ROW
};

static const struct cmd_help diff_help = {
	"fingerprint diff", "perflab fingerprint diff [--json] A B",
	"What changed between A and B (run directories or fingerprint files),\n"
	"most suspicious first, the frequency driver and governor on top.\n"
	"Exit 0 when identical, 1 when different, 129 for bad arguments or input\n"
	"that is not a fingerprint.",
	{ { NULL, fp_table } },
};

/* Sections in the order a reader looks for them; others follow, sorted. */
static const char *const section_order[] = {
	"os", "kernel", "cpu", "cpufreq", "cpuidle", "clocksource", "mitigations",
	"tcp", "sysctl", "nics", "modules", "devices"
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t sorted_keys(const json_t *o, const char ***out)
{
	const char **v = xcalloc(json_object_size(o) + 1, sizeof(*v));
	const char *key;
	json_t *val;
	size_t n = 0;

	json_object_foreach((json_t *)o, key, val)
		v[n++] = key;
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	return n;
}

/* Append text, wrapping at spaces past WRAP_COLUMNS; continuations start at col. */
static void add_wrapped(struct strbuf *out, const char *text, size_t col)
{
	size_t line_start = out->len - col;

	for (const char *p = text; *p; ) {
		size_t word = strcspn(p, " ");

		if (p != text && out->len - line_start + word >= WRAP_COLUMNS) {
			strbuf_addch(out, '\n');
			line_start = out->len;
			strbuf_addf(out, "%*s", (int)col, "");
		} else if (p != text) {
			strbuf_addch(out, ' ');
		}
		strbuf_add(out, p, word);
		p += word;
		p += *p == ' ';
	}
}

/* A group of devices, { driver: count }, on one line: "192 x (none)". */
static void add_group(struct strbuf *out, const json_t *g)
{
	const char **keys;
	size_t n = sorted_keys(g, &keys);

	for (size_t i = 0; i < n; i++)
		strbuf_addf(out, "%s%lld x %s", i ? ", " : "",
			    (long long)json_integer_value(json_object_get(g, keys[i])), keys[i]);
	free(keys);
}

static void print_members(struct strbuf *out, const json_t *o, int indent, int groups)
{
	const char **keys;
	size_t n = sorted_keys(o, &keys);
	int width = 0;

	for (size_t i = 0; i < n; i++)
		if ((int)strlen(keys[i]) > width)
			width = (int)strlen(keys[i]);
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_object_get(o, keys[i]);

		if (json_is_object(v) && !groups) {
			strbuf_addf(out, "%*s%s\n", indent, "", keys[i]);
			print_members(out, v, indent + 2, 0);
			continue;
		}
		strbuf_addf(out, "%*s%-*s  ", indent, "", width, keys[i]);
		if (json_is_object(v)) {
			add_group(out, v);
		} else {
			struct strbuf val = STRBUF_INIT;

			fp_format_value(&val, v);
			add_wrapped(out, val.buf, (size_t)indent + (size_t)width + 2);
			strbuf_release(&val);
		}
		strbuf_addch(out, '\n');
	}
	free(keys);
}

static void print_section(struct strbuf *out, const char *name, const json_t *v)
{
	struct strbuf val = STRBUF_INIT;

	if (json_is_object(v)) {
		strbuf_addf(out, "%s\n", name);
		print_members(out, v, 2, !strcmp(name, "devices"));
		return;
	}
	strbuf_addf(out, "%s  ", name);
	fp_format_value(&val, v);
	add_wrapped(out, val.buf, strlen(name) + 2);
	strbuf_addch(out, '\n');
	strbuf_release(&val);
}

static int known_section(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(section_order); i++)
		if (!strcmp(section_order[i], name))
			return 1;
	return !strcmp(name, "fingerprint_version") || !strcmp(name, "sha256");
}

static void print_fingerprint(const json_t *fp)
{
	struct strbuf out = STRBUF_INIT;
	char hex[SHA256_HEX];
	const char **keys;
	size_t n = sorted_keys(fp, &keys);

	fingerprint_hash(fp, hex);
	strbuf_addf(&out, "host fingerprint, version %d, sha256 %s\n", FINGERPRINT_VERSION, hex);
	for (size_t i = 0; i < ARRAY_SIZE(section_order); i++)
		if (json_object_get(fp, section_order[i]))
			print_section(&out, section_order[i], json_object_get(fp, section_order[i]));
	for (size_t i = 0; i < n; i++)
		if (!known_section(keys[i]))
			print_section(&out, keys[i], json_object_get(fp, keys[i]));
	fputs(out.buf, stdout);
	strbuf_release(&out);
	free(keys);
}

static void print_json(const json_t *v)
{
	char *s = json_dump_pretty(v);

	puts(s);
	free(s);
}

/* Options, then exactly want arguments; 129 (with the usage) otherwise. */
static int parse_args(int argc, char **argv, struct fp_opts *o, int want)
{
	struct optset sets[] = { { fp_table, o }, { NULL, NULL } };
	int i;

	opt_defaults(fp_table, o);
	i = opt_parse(sets, argc, argv);
	if (i < 0)
		return -1;
	if (argc - i != want) {
		if (want)
			error("'diff' compares two fingerprints: run directories or JSON files");
		else
			error("unexpected argument '%s'", argv[i]);
		help_usage(stderr, want ? &diff_help : &help_fingerprint);
		return -1;
	}
	return i;
}

static json_t *side_json(const char *path, const json_t *fp)
{
	json_t *o = json_object();
	char hex[SHA256_HEX];

	fingerprint_hash(fp, hex);
	json_set_str(o, "path", path);
	json_set_str(o, "sha256", hex);
	return o;
}

static void print_diff(const struct fp_diff *d, char **names, const json_t *a, const json_t *b)
{
	struct strbuf out = STRBUF_INIT;
	char ha[SHA256_HEX], hb[SHA256_HEX];

	fingerprint_hash(a, ha);
	fingerprint_hash(b, hb);
	if (!d->nr && !strcmp(ha, hb)) {
		printf("fingerprints are identical (sha256 %s)\n", ha);
		return;
	}
	if (!d->nr) {
		printf("fingerprints are identical but for members one lacks and the other "
		       "has as null (sha256 %s and %s)\n", ha, hb);
		return;
	}
	strbuf_addf(&out, "%zu difference%s between '%s' and '%s', most suspicious first:\n",
		    d->nr, d->nr == 1 ? "" : "s", names[0], names[1]);
	fp_diff_format(&out, d);
	fputs(out.buf, stdout);
	strbuf_release(&out);
}

static void print_diff_json(const struct fp_diff *d, char **names, const json_t *a,
			    const json_t *b)
{
	json_t *out = fp_diff_json(d);

	json_set(out, "identical", json_boolean(!d->nr));
	json_set(out, "a", side_json(names[0], a));
	json_set(out, "b", side_json(names[1], b));
	print_json(out);
	json_decref(out);
}

static int fingerprint_diff(int argc, char **argv)
{
	struct fp_opts o;
	struct fp_diff d = FP_DIFF_INIT;
	json_t *a = NULL, *b = NULL;
	int i;

	if (wants_help(argc, argv)) {
		help_usage(stdout, &diff_help);
		return EXIT_OK;
	}
	i = parse_args(argc, argv, &o, 2);
	if (i < 0)
		return EXIT_USAGE;
	a = fingerprint_load(argv[i]);
	b = fingerprint_load(argv[i + 1]);
	if (!a || !b) {
		json_decref(a);
		json_decref(b);
		return EXIT_USAGE;
	}
	fp_diff_compute(&d, a, b);
	if (o.json)
		print_diff_json(&d, argv + i, a, b);
	else
		print_diff(&d, argv + i, a, b);
	i = d.nr ? EXIT_FAIL : EXIT_OK;
	fp_diff_release(&d);
	json_decref(a);
	json_decref(b);
	return i;
}

static int fingerprint_this(int argc, char **argv)
{
	struct fp_opts o;
	json_t *fp;

	if (wants_help(argc, argv)) {
		help_usage(stdout, &help_fingerprint);
		return EXIT_OK;
	}
	if (parse_args(argc, argv, &o, 0) < 0)
		return EXIT_USAGE;
	fp = fingerprint_take();
	if (json_is_null(json_get(fp, "cpufreq.driver")))
		note("no cpufreq driver on this host: the frequency driver and governor are null");
	if (o.json) {
		char hex[SHA256_HEX];

		fingerprint_hash(fp, hex);
		json_set_str(fp, "sha256", hex);
		print_json(fp);
	} else {
		print_fingerprint(fp);
	}
	json_decref(fp);
	return EXIT_OK;
}

static const struct subcmd subcmds[] = {
	{ "diff", fingerprint_diff, &diff_help, "what changed between the hosts of two runs" },
};

const struct cmd_help help_fingerprint = {
	"fingerprint", "perflab fingerprint [--json]",
	"Print this host's fingerprint: kernel, CPU and microcode, frequency driver\n"
	"and governor, idle driver, clocksource, mitigations, TCP stack and sysctls,\n"
	"NIC drivers and settings, modules and devices. `perflab run` keeps it in\n"
	"every run directory as fingerprint.json; what cannot be read is null.",
	{ { NULL, fp_table } }, subcmds, ARRAY_SIZE(subcmds),
};

int cmd_fingerprint(int argc, char **argv)
{
	return subcmd_run("fingerprint", subcmds, ARRAY_SIZE(subcmds), fingerprint_this, argc, argv);
}

#include "common/opt.h"
#include "common/parse.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void (*opt_help_fn)(void);

#define FIELD(o, t, T) ((T *)((char *)(t) + (o)->offset))

static const char *type_hint(const struct opt *o)
{
	switch (o->type) {
	case OPT_BOOL: return "expected true/false, yes/no, on/off or 1/0";
	case OPT_INT: return "expected an integer";
	case OPT_SIZE: return "expected bytes with an optional K, M, G or T suffix, "
			      "at most 8192T";
	case OPT_RATE: return "expected bits per second with an optional k, M, G or T "
			      "suffix, at most 1000T";
	case OPT_DURATION: return "expected seconds, or a number with ms, s, m or h, "
				  "at most 1e9 s";
	case OPT_PERCENT: return "expected a signed percentage such as +5%";
	case OPT_DOUBLE: return "expected a number";
	case OPT_ARGV: return "unterminated quote";
	default: return "bad value";
	}
}

static int out_of_range(const struct opt *o, double v, struct strbuf *err)
{
	if (v >= o->min && (o->max == 0 || v <= o->max))
		return 0;
	if (o->max)
		strbuf_addf(err, "value '%g' for '%s' out of range %g..%g",
			    v, o->name, o->min, o->max);
	else
		strbuf_addf(err, "value '%g' for '%s' below the minimum %g",
			    v, o->name, o->min);
	return -1;
}

static int set_choice(const struct opt *o, void *t, const char *value,
		      struct strbuf *err)
{
	for (int i = 0; o->choices[i]; i++) {
		if (!strcmp(o->choices[i], value)) {
			*FIELD(o, t, int) = i;
			return 0;
		}
	}
	strbuf_addf(err, "invalid value '%s' for '%s': expected one of", value, o->name);
	for (int i = 0; o->choices[i]; i++)
		strbuf_addf(err, "%s %s", i ? "," : "", o->choices[i]);
	return -1;
}

static int set_number(const struct opt *o, void *t, const char *value,
		      struct strbuf *err)
{
	uint64_t sz;
	double d;
	long l;
	int bad;

	switch (o->type) {
	case OPT_INT:
		bad = parse_long(value, LONG_MIN, LONG_MAX, &l);
		if (!bad && out_of_range(o, (double)l, err))
			return -1;
		if (!bad)
			*FIELD(o, t, long) = l;
		break;
	case OPT_SIZE:
		bad = parse_size(value, &sz);
		if (!bad && out_of_range(o, (double)sz, err))
			return -1;
		if (!bad)
			*FIELD(o, t, uint64_t) = sz;
		break;
	default:
		bad = o->type == OPT_RATE ? parse_rate(value, &d)
		      : o->type == OPT_DOUBLE ? parse_double(value, &d)
		      : o->type == OPT_DURATION ? parse_duration(value, &d)
		      : parse_percent(value, &d);
		if (!bad && o->type != OPT_PERCENT && out_of_range(o, d, err))
			return -1;
		if (!bad)
			*FIELD(o, t, double) = d;
		break;
	}
	if (bad)
		strbuf_addf(err, "invalid value '%s' for '%s': %s", value,
			    o->name, type_hint(o));
	return bad ? -1 : 0;
}

static void list_add(struct opt_list *l, const char *value)
{
	l->v = xrealloc(l->v, (l->nr + 2) * sizeof(*l->v));
	l->v[l->nr++] = xstrdup(value);
	l->v[l->nr] = NULL;
}

static void list_release(struct opt_list *l)
{
	for (size_t i = 0; i < l->nr; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->nr = 0;
}

int opt_set(const struct opt *o, void *t, const char *value, struct strbuf *err)
{
	char **argv;
	int b;

	switch (o->type) {
	case OPT_BOOL:
		if (parse_bool(value, &b)) {
			strbuf_addf(err, "invalid value '%s' for '%s': %s", value,
				    o->name, type_hint(o));
			return -1;
		}
		*FIELD(o, t, int) = b;
		return 0;
	case OPT_STRING:
		free(*FIELD(o, t, char *));
		*FIELD(o, t, char *) = xstrdup(value);
		return 0;
	case OPT_CHOICE:
		return set_choice(o, t, value, err);
	case OPT_ARGV:
		if (split_words(value, &argv) < 0) {
			strbuf_addf(err, "invalid value '%s' for '%s': %s", value,
				    o->name, type_hint(o));
			return -1;
		}
		argv_free(*FIELD(o, t, char **));
		*FIELD(o, t, char **) = argv;
		return 0;
	case OPT_LIST:
		list_add(FIELD(o, t, struct opt_list), value);
		return 0;
	case OPT_END:
		return -1;
	default:
		return set_number(o, t, value, err);
	}
}

void opt_defaults(const struct opt *table, void *target)
{
	for (const struct opt *o = table; o->name; o++) {
		struct strbuf err = STRBUF_INIT;

		if (o->def && opt_set(o, target, o->def, &err))
			die("bad default for '%s': %s", o->name, err.buf);
		strbuf_release(&err);
	}
}

void opt_release(const struct opt *table, void *target)
{
	for (const struct opt *o = table; o->name; o++) {
		if (o->type == OPT_STRING) {
			free(*FIELD(o, target, char *));
			*FIELD(o, target, char *) = NULL;
		} else if (o->type == OPT_ARGV) {
			argv_free(*FIELD(o, target, char **));
			*FIELD(o, target, char **) = NULL;
		} else if (o->type == OPT_LIST) {
			list_release(FIELD(o, target, struct opt_list));
		}
	}
}

const struct opt *opt_find(const struct opt *table, const char *name)
{
	for (const struct opt *o = table; o->name; o++)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

static const struct opt *find_in_sets(const struct optset *sets, const char *name,
				      int short_name, void **target)
{
	for (const struct optset *s = sets; s->table; s++) {
		for (const struct opt *o = s->table; o->name; o++) {
			if (name ? !strcmp(o->name, name) : o->short_name == short_name) {
				*target = s->target;
				return o;
			}
		}
	}
	return NULL;
}

/* One option at argv[*i]; advances *i past its value. */
static int parse_one(const struct optset *sets, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *value = NULL;
	struct strbuf err = STRBUF_INIT, name = STRBUF_INIT;
	const struct opt *o;
	void *target = NULL;
	int negated = 0, ret;

	if (arg[1] == '-') {
		const char *eq = strchr(arg + 2, '=');

		strbuf_add(&name, arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2));
		value = eq ? eq + 1 : NULL;
		o = find_in_sets(sets, name.buf, 0, &target);
		if (!o && !strncmp(name.buf, "no-", 3)) {
			o = find_in_sets(sets, name.buf + 3, 0, &target);
			negated = o && o->type == OPT_BOOL;
			if (!negated)
				o = NULL;
		}
	} else {
		/* -x, and -I200: a short option's value may be attached, as getopt allows */
		o = find_in_sets(sets, NULL, arg[1], &target);
		if (o && arg[2] && o->type == OPT_BOOL)
			o = NULL;
		else if (o && arg[2])
			value = arg + 2;
		strbuf_addstr(&name, arg + 1);
	}
	if (!o && opt_help_fn && (!strcmp(arg, "--help") || !strcmp(arg, "-h"))) {
		opt_help_fn();		/* like git's parse_options: help, then exit */
		fflush(stdout);
		exit(ferror(stdout) ? EXIT_FAIL : EXIT_OK);
	}
	if (!o) {
		ret = error("unknown option '%s'", arg);
		goto done;
	}
	if (o->type == OPT_BOOL && !value)
		value = negated ? "false" : "true";
	if (!value) {
		if (*i + 1 >= argc) {
			ret = error("option '%s' needs a value", arg);
			goto done;
		}
		value = argv[++*i];
	}
	ret = opt_set(o, target, value, &err);
	if (ret)
		error("%s", err.buf);
done:
	strbuf_release(&err);
	strbuf_release(&name);
	return ret;
}

int opt_parse(const struct optset *sets, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--"))
			return i + 1;
		if (arg[0] != '-' || !arg[1])
			return i;
		if (parse_one(sets, argc, argv, &i))
			return -1;
	}
	return i;
}

int opt_parse_mixed(const struct optset *sets, int argc, char **argv)
{
	char **pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	int npos = 0, i = 1;

	while (i < argc) {
		int k = opt_parse(sets, argc - i + 1, argv + i - 1);

		if (k < 0) {
			free(pos);
			return -1;
		}
		k += i - 1;	/* the first argument not consumed */
		if (k > i && !strcmp(argv[k - 1], "--")) {
			while (k < argc)
				pos[npos++] = argv[k++];
			break;
		}
		if (k < argc)
			pos[npos++] = argv[k];
		i = k + 1;
	}
	for (int k = 0; k < npos; k++)
		argv[k + 1] = pos[k];
	free(pos);
	return npos;
}

void opt_format(const struct opt *o, const void *t, struct strbuf *out)
{
	const void *p = (const char *)t + o->offset;
	char *const *argv;

	switch (o->type) {
	case OPT_BOOL: strbuf_addstr(out, *(const int *)p ? "yes" : "no"); break;
	case OPT_INT: strbuf_addf(out, "%ld", *(const long *)p); break;
	case OPT_SIZE: strbuf_addf(out, "%llu", (unsigned long long)*(const uint64_t *)p); break;
	case OPT_RATE: strbuf_addf(out, "%.0f", *(const double *)p); break;
	case OPT_DURATION: strbuf_addf(out, "%gs", *(const double *)p); break;
	case OPT_DOUBLE: strbuf_addf(out, "%g", *(const double *)p); break;
	case OPT_PERCENT: strbuf_addf(out, "%+g%%", *(const double *)p * 100); break;
	case OPT_STRING:
		strbuf_addstr(out, *(char *const *)p ? *(char *const *)p : "");
		break;
	case OPT_CHOICE: strbuf_addstr(out, o->choices[*(const int *)p]); break;
	case OPT_ARGV:
		argv = *(char **const *)p;
		for (int i = 0; argv && argv[i]; i++) {
			const char *w = argv[i];
			int plain = *w && !strpbrk(w, " \t'\"\\");

			if (i)
				strbuf_addch(out, ' ');
			if (plain) {
				strbuf_addstr(out, w);
				continue;
			}
			strbuf_addch(out, '"');
			for (; *w; w++) {
				if (*w == '"' || *w == '\\')
					strbuf_addch(out, '\\');
				strbuf_addch(out, *w);
			}
			strbuf_addch(out, '"');
		}
		break;
	case OPT_LIST:
		for (size_t i = 0; i < ((const struct opt_list *)p)->nr; i++)
			strbuf_addf(out, "%s%s", i ? "," : "", ((const struct opt_list *)p)->v[i]);
		break;
	case OPT_END: break;
	}
}

void opt_usage(FILE *f, const struct opt *table)
{
	for (const struct opt *o = table; o->name; o++) {
		struct strbuf left = STRBUF_INIT;

		if (o->short_name)
			strbuf_addf(&left, "-%c, ", o->short_name);
		else
			strbuf_addstr(&left, "    ");
		strbuf_addf(&left, "--%s", o->name);
		if (o->type != OPT_BOOL)
			strbuf_addf(&left, " %s", o->argh ? o->argh : "VALUE");
		fprintf(f, "  %-30s %s", left.buf, o->help ? o->help : "");
		if (o->def && o->type != OPT_BOOL && *o->def)
			fprintf(f, " (default %s)", o->def);
		fputc('\n', f);
		strbuf_release(&left);
	}
}

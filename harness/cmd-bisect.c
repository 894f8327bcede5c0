/*
 * perflab bisect: find the commit that made a metric worse. This file
 * parses arguments and prints; the engine, ranges, journal and knob
 * bisection live in bisect/ (see bisect/bisect.h).
 */
#include "harness/builtin.h"
#include "bisect/bisect.h"
#include "common/opt.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Options that may repeat (--good, --skip) are taken out of argv before
 * the table parses the rest: the table keeps one value per option.
 */
static int take_repeated(int argc, char **argv, const char *flag, char ***list, size_t *n)
{
	int out = 1;
	size_t len = strlen(flag);

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--"))
			break;
		if (!strncmp(a, flag, len) && (a[len] == '=' || !a[len])) {
			const char *v = a[len] == '=' ? a + len + 1 : i + 1 < argc ? argv[++i] : NULL;

			if (!v)
				return error("option '%s' needs a value", flag);
			*list = xrealloc(*list, (*n + 2) * sizeof(char *));
			(*list)[(*n)++] = (char *)v;
			(*list)[*n] = NULL;
			continue;
		}
		argv[out++] = argv[i];
	}
	for (int i = out; i < argc; i++)
		argv[i] = NULL;
	return out;
}

/* --- next ------------------------------------------------------------ */

struct next_cli {
	char *repo;
	char *bad;
	int first_parent;
};

#define N(name, sh, type, field, lo, hi, def, argh, help) \
	{ name, sh, type, offsetof(struct next_cli, field), lo, hi, NULL, def, argh, help }

static const struct opt next_table[] = {
	N("repo", 0, OPT_STRING, repo, 0, 0, ".", "DIR", "the repository"),
	N("bad", 0, OPT_STRING, bad, 0, 0, NULL, "REV", "the bad commit (required)"),
	N("first-parent", 0, OPT_BOOL, first_parent, 0, 0, "no", NULL,
	  "follow only the first parent of merges"),
	OPT_END_ROW
};

static void next_usage(FILE *f)
{
	fprintf(f, "usage: perflab bisect next --repo DIR --good G [--good G2] --bad B\n"
		"                           [--first-parent] [--skip C]...\n\n"
		"Print the commit git bisect would test next in BAD ^GOOD...: the one\n"
		"`git rev-list --bisect` prints, or with --skip the one `git bisect`\n"
		"checks out. Prints nothing and exits 1 when only skipped commits are left.\n\n"
		"  --good REV           a good commit (repeatable, at least one)\n"
		"  --skip REV           a skipped commit (repeatable)\n");
	opt_usage(f, next_table);
}

static int resolve_skips(const struct bisect_revs *r, char **skips, size_t nskips,
			 size_t **out, size_t *n)
{
	*out = xcalloc(nskips + 1, sizeof(size_t));
	*n = 0;
	for (size_t i = 0; i < nskips; i++) {
		long x = revs_find(r, skips[i]);

		if (x >= 0)
			(*out)[(*n)++] = (size_t)x;
	}
	return 0;
}

static int bisect_next_cmd(int argc, char **argv)
{
	struct next_cli o = { 0 };
	struct optset sets[] = { { next_table, &o }, { NULL, NULL } };
	char **goods = NULL, **skips = NULL;
	size_t ngoods = 0, nskips = 0, *skip = NULL, nskip = 0;
	struct bisect_revs r;
	int i, ret = EXIT_USAGE;
	long x;

	if (wants_help(argc, argv)) {
		next_usage(stdout);
		return EXIT_OK;
	}
	opt_defaults(next_table, &o);
	argc = take_repeated(argc, argv, "--good", &goods, &ngoods);
	argc = argc < 0 ? -1 : take_repeated(argc, argv, "--skip", &skips, &nskips);
	i = argc < 0 ? -1 : opt_parse(sets, argc, argv);
	if (i < 0 || i != argc || !o.bad || !ngoods) {
		if (i >= 0)
			error("next needs --bad and at least one --good");
		next_usage(stderr);
	} else if (revs_load(&r, o.repo, o.bad, goods, ngoods, o.first_parent) < 0) {
		ret = EXIT_FAIL;
	} else {
		resolve_skips(&r, skips, nskips, &skip, &nskip);
		x = revs_bisect(&r, nskips ? skip : NULL, nskip);
		if (x >= 0)
			printf("%s\n", r.commits[x].id);
		else
			error("only skipped commits are left to test");
		ret = x >= 0 ? EXIT_OK : EXIT_FAIL;
		revs_release(&r);
	}
	free(skip);
	free(goods);
	free(skips);
	opt_release(next_table, &o);
	return ret;
}

/* --- the subcommand table -------------------------------------------- */

struct subcmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct subcmd subcmds[] = {
	{ "next", bisect_next_cmd, "print the commit git bisect would test next" },
};

static void bisect_usage(FILE *f)
{
	fprintf(f, "usage: perflab bisect <subcommand> [<args>]\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(subcmds); i++)
		fprintf(f, "   %-10s %s\n", subcmds[i].name, subcmds[i].summary);
	fprintf(f, "\n'perflab bisect <subcommand> --help' shows its options.\n");
}

int cmd_bisect(int argc, char **argv)
{
	if (argc < 2 || wants_help(argc, argv)) {
		bisect_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subcmds); i++)
		if (!strcmp(subcmds[i].name, argv[1]))
			return subcmds[i].fn(argc - 1, argv + 1);
	error("unknown bisect subcommand '%s'", argv[1]);
	bisect_usage(stderr);
	return EXIT_USAGE;
}

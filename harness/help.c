/*
 * --help: a command's usage lines, what it does, its options and its
 * subcommands, printed from its struct cmd_help (the same description
 * the manual pages and the completion are generated from).
 */
#include "harness/builtin.h"
#include "common/opt.h"
#include "common/util.h"

#include <stdio.h>
#include <string.h>

const struct exit_code_doc exit_code_docs[] = {
	{ EXIT_OK, "success; judged good (compare, nightly, bisect run --one); a culprit named" },
	{ EXIT_FAIL, "failure; judged bad; the regression did not reproduce (bisect run)" },
	{ EXIT_INCONCLUSIVE, "inconclusive: the statistics could not decide within the budget" },
	{ EXIT_SKIP, "cannot be judged: the commit does not build, install or boot "
		     "(git bisect's skip)" },
	{ EXIT_FATAL, "fatal: the lab needs a hand (a host gone, a power cycle that failed)" },
	{ EXIT_USAGE, "usage or configuration error" },
};
const size_t exit_code_ndocs = ARRAY_SIZE(exit_code_docs);

static void print_synopsis(FILE *f, const char *syn)
{
	const char *p = syn;

	for (int first = 1; *p; first = 0) {
		size_t n = strcspn(p, "\n");

		fprintf(f, "%s%.*s\n", first ? "usage: " : "       ", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

static const struct cmd_help *current;

static void print_current(void)
{
	help_usage(stdout, current);
}

void help_set_current(const struct cmd_help *h)
{
	current = h;
	opt_help_fn = h ? print_current : NULL;
}

void help_usage(FILE *f, const struct cmd_help *h)
{
	print_synopsis(f, h->synopsis);
	if (h->text && *h->text)
		fprintf(f, "\n%s%s", h->text, h->text[strlen(h->text) - 1] == '\n' ? "" : "\n");
	for (const struct cmd_opts *o = h->opts; o < h->opts + ARRAY_SIZE(h->opts) && o->table;
	     o++) {
		fputc('\n', f);
		if (o->title)
			fprintf(f, "%s:\n", o->title);
		opt_usage(f, o->table);
	}
	if (h->extra) {
		fputc('\n', f);
		h->extra(f);
	}
	if (!h->nsub)
		return;
	fprintf(f, "\nsubcommands:\n");
	for (size_t i = 0; i < h->nsub; i++)
		fprintf(f, "   %-12s %s\n", h->sub[i].name, h->sub[i].summary);
	fprintf(f, "\n'perflab %s <subcommand> --help' shows its options.\n", h->name);
}

/*
 * Second-level verbs (perflab bisect run, perflab lab up ...): one small
 * table per command, dispatched and listed the same way everywhere.
 */
#include "harness/builtin.h"
#include "common/util.h"

#include <stdio.h>
#include <string.h>

int wants_help(int argc, char **argv)
{
	return argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
}

void subcmd_usage(FILE *f, const char *cmd, const struct subcmd *t, size_t n)
{
	const char *sub = cmd ? "subcommand" : "verb";

	fprintf(f, "usage: %s%s%s <%s> [<args>]\n\n", progname, cmd ? " " : "", cmd ? cmd : "",
		sub);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "   %-12s %s\n", t[i].name, t[i].summary);
	fprintf(f, "\n'%s%s%s <%s> --help' shows its options.\n", progname, cmd ? " " : "",
		cmd ? cmd : "", sub);
}

const struct subcmd *subcmd_find(const struct subcmd *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	return NULL;
}

int subcmd_run(const char *cmd, const struct subcmd *t, size_t n,
	       int (*dflt)(int argc, char **argv), int argc, char **argv)
{
	const struct subcmd *s;

	if (argc < 2 || argv[1][0] == '-') {
		if (wants_help(argc, argv) && !dflt) {
			subcmd_usage(stdout, cmd, t, n);
			return EXIT_OK;
		}
		if (dflt)
			return dflt(argc, argv);
		subcmd_usage(stderr, cmd, t, n);
		return EXIT_USAGE;
	}
	s = subcmd_find(t, n, argv[1]);
	if (s && s->help && wants_help(argc - 1, argv + 1)) {
		help_usage(stdout, s->help);
		return EXIT_OK;
	}
	if (s && s->help)
		help_set_current(s->help);
	if (s)
		return s->fn(argc - 1, argv + 1);
	if (dflt)
		return dflt(argc, argv);
	error("unknown %s subcommand '%s'", cmd, argv[1]);
	subcmd_usage(stderr, cmd, t, n);
	return EXIT_USAGE;
}

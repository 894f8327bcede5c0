/*
 * perflab lab up|down|status: a lab of network namespaces on this
 * machine, for tests, the demo and trying perflab without hardware.
 */
#include "harness/builtin.h"
#include "lab/netns.h"
#include "common/opt.h"
#include "common/util.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: perflab lab up [OPTIONS]\n"
		"       perflab lab down [--name NAME] [--dir DIR]\n"
		"       perflab lab status [--name NAME] [--dir DIR]\n"
		"       perflab lab power-cycle HOST [--name NAME] [--dir DIR]\n\n"
		"up: network namespaces for one or more DUTs and clients, joined by veth\n"
		"pairs through a bridge, addresses from 198.18.0.0/24, a real sshd in each,\n"
		"and a hosts file ready for `perflab run --hosts`. Idempotent; after a crash\n"
		"it rebuilds. down: removes all of it and nothing else. Needs root.\n\n");
	opt_usage(f, lab_table);
}

/* Parse the options of one verb; 0, or an exit code to return. */
static int lab_verb(int argc, char **argv, int (*fn)(const struct lab_opts *o))
{
	struct lab_opts o = { 0 };
	struct optset sets[] = { { lab_table, &o }, { NULL, NULL } };
	int i, ret = EXIT_USAGE;

	if (wants_help(argc, argv)) {
		usage(stdout);
		return EXIT_OK;
	}
	opt_defaults(lab_table, &o);
	i = opt_parse(sets, argc, argv);
	if (i >= 0 && i < argc)
		error("unexpected argument '%s'", argv[i]);
	if (i >= 0 && i == argc)
		ret = fn(&o) ? EXIT_FAIL : EXIT_OK;
	else
		usage(stderr);
	opt_release(lab_table, &o);
	return ret;
}

static int up(int argc, char **argv)
{
	return lab_verb(argc, argv, lab_up);
}

static int down(int argc, char **argv)
{
	return lab_verb(argc, argv, lab_down);
}

static int status(int argc, char **argv)
{
	return lab_verb(argc, argv, lab_status);
}

static int power_cycle(int argc, char **argv)
{
	struct lab_opts o = { 0 };
	struct optset sets[] = { { lab_table, &o }, { NULL, NULL } };
	int i, ret = EXIT_USAGE;

	if (wants_help(argc, argv)) {
		usage(stdout);
		return EXIT_OK;
	}
	opt_defaults(lab_table, &o);
	i = opt_parse_mixed(sets, argc, argv);
	if (i == 1)
		ret = lab_power_cycle(&o, argv[1]) ? EXIT_FAIL : EXIT_OK;
	else if (i >= 0)
		error("lab power-cycle takes one host name");
	if (ret == EXIT_USAGE)
		usage(stderr);
	opt_release(lab_table, &o);
	return ret;
}

static const struct subcmd subcmds[] = {
	{ "up", up, "make the lab (idempotent): namespaces, bridge, sshd, a hosts file" },
	{ "down", down, "remove everything lab up made, and nothing else" },
	{ "status", status, "what is up, and whether each host answers" },
	{ "power-cycle", power_cycle, "a host's power cycle: kill what it runs, start its sshd again" },
};

int cmd_lab(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		usage(stdout);
		return EXIT_OK;
	}
	return subcmd_run("lab", subcmds, ARRAY_SIZE(subcmds), NULL, argc, argv);
}

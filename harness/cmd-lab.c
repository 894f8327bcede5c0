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
		"       perflab lab status [--name NAME] [--dir DIR]\n\n"
		"up: network namespaces for one or more DUTs and clients, joined by veth\n"
		"pairs through a bridge, addresses from 198.18.0.0/24, a real sshd in each,\n"
		"and a hosts file ready for `perflab run --hosts`. Idempotent; after a crash\n"
		"it rebuilds. down: removes all of it and nothing else. Needs root.\n\n");
	opt_usage(f, lab_table);
}

int cmd_lab(int argc, char **argv)
{
	struct lab_opts o = { 0 };
	struct optset sets[] = { { lab_table, &o }, { NULL, NULL } };
	const char *verb = argc > 1 ? argv[1] : "";
	int i, ret = EXIT_USAGE;

	if (wants_help(argc, argv)) {
		usage(stdout);
		return EXIT_OK;
	}
	opt_defaults(lab_table, &o);
	i = argc > 1 ? opt_parse(sets, argc - 1, argv + 1) : -1;
	if (i >= 0 && i < argc - 1)
		error("unexpected argument '%s'", argv[i + 1]);
	else if (i >= 0 && !strcmp(verb, "up"))
		ret = lab_up(&o) ? EXIT_FAIL : EXIT_OK;
	else if (i >= 0 && !strcmp(verb, "down"))
		ret = lab_down(&o) ? EXIT_FAIL : EXIT_OK;
	else if (i >= 0 && !strcmp(verb, "status"))
		ret = lab_status(&o) ? EXIT_FAIL : EXIT_OK;
	else
		usage(stderr);
	opt_release(lab_table, &o);
	return ret;
}

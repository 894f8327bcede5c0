/*
 * perflab lab up|down|status: a lab of network namespaces on this
 * machine, for tests, the demo and trying perflab without hardware.
 */
#include "harness/builtin.h"
#include "lab/netns.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/util.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options of lab status that are not the lab's shape. */
struct status_cli {
	int json;
};

static const struct opt status_table[] = {
	{ "json", 'J', OPT_BOOL, offsetof(struct status_cli, json), 0, 0, NULL, "no", NULL,
	  "the hosts, their roles, addresses, CPUs and state as JSON" },
	OPT_END_ROW
};

static const struct cmd_help up_help = {
	"lab up", "perflab lab up [OPTIONS]",
	"Network namespaces for one or more DUTs and clients, joined by veth\n"
	"pairs through a bridge, addresses from 198.18.0.0/24, a real sshd in each,\n"
	"and a hosts file ready for `perflab run --hosts`. With --vm N the DUTs are\n"
	"QEMU VMs on the bridge. Idempotent; after a crash it rebuilds. Needs root\n"
	"(namespaces, veth, bridges, cgroups).",
	{ { NULL, lab_table } },
};

static const struct cmd_help down_help = {
	"lab down", "perflab lab down [--name NAME] [--dir DIR]",
	"Remove everything lab up made, and nothing else. Safe to repeat. Needs root.",
	{ { NULL, lab_table } },
};

static const struct cmd_help status_help = {
	"lab status", "perflab lab status [--name NAME] [--dir DIR] [--json]",
	"The lab's hosts, their namespaces and CPUs, and whether each answers ssh.\n"
	"Exit 0 when every host answers, 1 otherwise.",
	{ { NULL, status_table }, { NULL, lab_table } },
};

static const struct cmd_help power_help = {
	"lab power-cycle", "perflab lab power-cycle HOST [--name NAME] [--dir DIR]",
	"A host's power cycle: kill everything it runs, start its sshd again (in\n"
	"its cgroup) and wait until it answers; a VM is reset. The namespace lab's\n"
	"power_cycle command. Needs root.",
	{ { NULL, lab_table } },
};

/* Parse the options of one verb; 0, or an exit code to return. */
static int lab_verb(int argc, char **argv, const struct cmd_help *help,
		    int (*fn)(const struct lab_opts *o))
{
	struct lab_opts o = { 0 };
	struct optset sets[] = { { lab_table, &o }, { NULL, NULL } };
	int i, ret = EXIT_USAGE;

	opt_defaults(lab_table, &o);
	i = opt_parse(sets, argc, argv);
	if (i >= 0 && i < argc)
		error("unexpected argument '%s'", argv[i]);
	if (i >= 0 && i == argc)
		ret = fn(&o) ? EXIT_FAIL : EXIT_OK;
	else
		help_usage(stderr, help);
	opt_release(lab_table, &o);
	return ret;
}

static int up(int argc, char **argv)
{
	return lab_verb(argc, argv, &up_help, lab_up);
}

static int down(int argc, char **argv)
{
	return lab_verb(argc, argv, &down_help, lab_down);
}

static int status_json(const struct lab_opts *o)
{
	json_t *j = NULL;
	int ret = lab_status_json(o, &j);
	char *s;

	if (ret < 0)
		return ret;
	s = json_dump_pretty(j);
	puts(s);
	free(s);
	json_decref(j);
	return ret;
}

static int status(int argc, char **argv)
{
	struct lab_opts o = { 0 };
	struct status_cli c = { 0 };
	struct optset sets[] = { { status_table, &c }, { lab_table, &o }, { NULL, NULL } };
	int i, ret = EXIT_USAGE;

	opt_defaults(lab_table, &o);
	i = opt_parse(sets, argc, argv);
	if (i >= 0 && i < argc)
		error("unexpected argument '%s'", argv[i]);
	if (i >= 0 && i == argc)
		ret = (c.json ? status_json(&o) : lab_status(&o)) ? EXIT_FAIL : EXIT_OK;
	else
		help_usage(stderr, &status_help);
	opt_release(lab_table, &o);
	return ret;
}

static int power_cycle(int argc, char **argv)
{
	struct lab_opts o = { 0 };
	struct optset sets[] = { { lab_table, &o }, { NULL, NULL } };
	int i, ret = EXIT_USAGE;

	opt_defaults(lab_table, &o);
	i = opt_parse_mixed(sets, argc, argv);
	if (i == 1)
		ret = lab_power_cycle(&o, argv[1]) ? EXIT_FAIL : EXIT_OK;
	else if (i >= 0)
		error("lab power-cycle takes one host name");
	if (ret == EXIT_USAGE)
		help_usage(stderr, &power_help);
	opt_release(lab_table, &o);
	return ret;
}

static const struct subcmd subcmds[] = {
	{ "up", up, &up_help, "make the lab (idempotent): namespaces, bridge, sshd, a hosts file" },
	{ "down", down, &down_help, "remove everything lab up made, and nothing else" },
	{ "status", status, &status_help, "what is up, and whether each host answers" },
	{ "power-cycle", power_cycle, &power_help,
	  "a host's power cycle: kill what it runs, start its sshd again" },
};

const struct cmd_help help_lab = {
	"lab", "perflab lab <subcommand> [OPTIONS]",
	"A lab on this machine: network namespaces standing in for hosts (DUTs and\n"
	"clients), joined by veth pairs through a bridge, each with a real sshd and\n"
	"its own CPU accounting (a cgroup), or QEMU DUTs booting the kernel under\n"
	"test (--vm N). perflab run --hosts lab.hosts then measures across it over\n"
	"real ssh. Everything but status needs root.",
	{ { NULL, NULL } }, subcmds, ARRAY_SIZE(subcmds),
};

int cmd_lab(int argc, char **argv)
{
	return subcmd_run("lab", subcmds, ARRAY_SIZE(subcmds), NULL, argc, argv);
}

/*
 * perflab config check FILE...: strict validation with file:line errors.
 * perflab config show FILE: the configuration in effect, defaults too.
 */
#include "harness/builtin.h"
#include "lab/config.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <stdio.h>
#include <string.h>

static const struct cmd_help check_help = {
	"config check", "perflab config check FILE...",
	"Validate hosts and job files strictly: unknown keys and bad values are\n"
	"errors, and every error names the file, the line and the value. Exit 0\n"
	"when every file is valid, 129 on any error.",
};

static const struct cmd_help show_help = {
	"config show", "perflab config show FILE",
	"Print the configuration in effect, with every default spelled out.",
};

static void describe(const struct cfg_file *f)
{
	printf("%s: ok (%s file", f->path, f->kind == CFG_HOSTS ? "hosts" : "job");
	if (f->kind == CFG_HOSTS) {
		printf(": ");
		for (size_t i = 0; i < f->nr; i++)
			printf("%s%s", i ? ", " : "", f->v[i].name);
	}
	printf(")\n");
}

static int config_check(int argc, char **argv)
{
	int bad = 0;

	if (wants_help(argc, argv)) {
		help_usage(stdout, &check_help);
		return EXIT_OK;
	}
	if (argc < 2) {
		help_usage(stderr, &check_help);
		return EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		struct cfg_file f;

		if (cfg_file_load(&f, argv[i])) {
			bad = 1;
			continue;
		}
		describe(&f);
		cfg_file_release(&f);
	}
	return bad ? EXIT_USAGE : EXIT_OK;
}

static int config_show(int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	struct cfg_file f;

	if (wants_help(argc, argv)) {
		help_usage(stdout, &show_help);
		return EXIT_OK;
	}
	if (argc != 2) {
		help_usage(stderr, &show_help);
		return EXIT_USAGE;
	}
	if (cfg_file_load(&f, argv[1]))
		return EXIT_USAGE;
	cfg_print(&f, &sb);
	fputs(sb.buf, stdout);
	strbuf_release(&sb);
	cfg_file_release(&f);
	return EXIT_OK;
}

static const struct subcmd subcmds[] = {
	{ "check", config_check, &check_help, "validate hosts and job files (errors name file:line)" },
	{ "show", config_show, &show_help, "the configuration in effect, defaults spelled out" },
};

const struct cmd_help help_config = {
	"config", "perflab config <subcommand> FILE...",
	"Hosts and job files are INI-like (key = value, [section name], # comments);\n"
	"hosts.example and job.example document every key.",
	{ { NULL, NULL } }, subcmds, ARRAY_SIZE(subcmds),
};

int cmd_config(int argc, char **argv)
{
	return subcmd_run("config", subcmds, ARRAY_SIZE(subcmds), NULL, argc, argv);
}

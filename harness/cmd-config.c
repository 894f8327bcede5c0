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

static const char usage_text[] =
	"usage: perflab config check FILE...\n"
	"       perflab config show FILE\n\n"
	"check: validate hosts and job files strictly; every error names the file,\n"
	"       the line and the value (exit 129 on any error)\n"
	"show:  print the configuration in effect, with every default spelled out\n";

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
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (argc < 2) {
		fputs(usage_text, stderr);
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
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (argc != 2) {
		fputs(usage_text, stderr);
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
	{ "check", config_check, "validate hosts and job files (errors name file:line)" },
	{ "show", config_show, "the configuration in effect, defaults spelled out" },
};

int cmd_config(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	return subcmd_run("config", subcmds, ARRAY_SIZE(subcmds), NULL, argc, argv);
}

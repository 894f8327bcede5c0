/*
 * perflab-agent: what runs on a lab host, and nothing else. The verbs a
 * controller starts there (load server|client, collect, clock,
 * fingerprint) with the same options as perflab's, in a binary that
 * needs nothing on the host but its kernel: linked statically, without
 * libgit2, SQLite, libinih, libelf or gnuplot. The controller accepts
 * it by its protocol (common/version.h), not by comparing binaries.
 */
#include "harness/builtin.h"
#include "collectors/fingerprint.h"
#include "common/spawn.h"
#include "common/json.h"
#include "common/sha256.h"
#include "common/util.h"
#include "common/version.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int agent_version(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		printf("usage: perflab-agent version\n\nPrint the agent's version and protocol: "
		       "what the controller checks.\n");
		return EXIT_OK;
	}
	char hex[SHA256_HEX];

	/* the build itself: a managed agent must be this very file */
	if (sha256_file_hex("/proc/self/exe", hex))
		snprintf(hex, sizeof(hex), "-");
	printf("perflab-agent %s protocol %d sha256 %s\n", perflab_version(),
	       PERFLAB_AGENT_PROTOCOL, hex);
	return EXIT_OK;
}

/* This host's fingerprint as JSON (the controller keeps it with every run). */
static int agent_fingerprint(int argc, char **argv)
{
	char hex[SHA256_HEX], *text;
	json_t *fp;

	if (wants_help(argc, argv)) {
		printf("usage: perflab-agent fingerprint [--json]\n\nThis host's fingerprint "
		       "as JSON (perflab fingerprint on the controller prints it as text).\n");
		return EXIT_OK;
	}
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json"))) {
		error("usage: perflab-agent fingerprint [--json]");
		return EXIT_USAGE;
	}
	fp = fingerprint_take();
	fingerprint_hash(fp, hex);
	json_set_str(fp, "sha256", hex);
	text = json_dump_pretty(fp);
	puts(text);
	free(text);
	json_decref(fp);
	return EXIT_OK;
}

static const struct subcmd verbs[] = {
	{ "version", agent_version, NULL, "the agent's version and protocol" },
	{ "load", cmd_load, &help_load, "a workload role: load server|client" },
	{ "collect", cmd_collect, &help_collect, "run collectors, writing JSON lines" },
	{ "clock", cmd_clock, &help_clock, "this host's monotonic and real-time clocks" },
	{ "fingerprint", agent_fingerprint, NULL, "this host's fingerprint, as JSON" },
};

int main(int argc, char **argv)
{
	const struct subcmd *v;
	int ret;

	progname = "perflab-agent";
	sanitize_std_fds();
	signal(SIGPIPE, SIG_IGN);
	while (argc > 1 && argv[1][0] == '-' && strcmp(argv[1], "-h") && strcmp(argv[1], "--help")) {
		if (!strcmp(argv[1], "-q"))
			verbosity = 0;
		else if (!strcmp(argv[1], "-v"))
			verbosity = 2;
		else if (!strcmp(argv[1], "--version"))
			return agent_version(1, argv);
		else
			break;
		argc--;
		argv++;
	}
	if (argc < 2 || wants_help(argc, argv)) {
		subcmd_usage(argc < 2 ? stderr : stdout, NULL, verbs, ARRAY_SIZE(verbs));
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	v = subcmd_find(verbs, ARRAY_SIZE(verbs), argv[1]);
	if (!v) {
		error("unknown verb '%s'", argv[1]);
		subcmd_usage(stderr, NULL, verbs, ARRAY_SIZE(verbs));
		return EXIT_USAGE;
	}
	ret = v->fn(argc - 1, argv + 1);
	if (fflush(stdout) || ferror(stdout))
		return errno == EPIPE ? 141 : EXIT_FATAL;
	return ret < 0 ? EXIT_FAIL : ret;
}

/*
 * hwloc's Linux backend asks udev for the names of block devices, which
 * the agent never needs, and libudev has no static library: answer that
 * there is no udev, so the agent links with nothing but libc beneath.
 */
struct udev;
struct udev_device;

struct udev *udev_new(void);
struct udev *udev_unref(struct udev *u);
struct udev_device *udev_device_new_from_subsystem_sysname(struct udev *u, const char *sub,
							   const char *name);
struct udev_device *udev_device_unref(struct udev_device *d);
const char *udev_device_get_property_value(struct udev_device *d, const char *key);

struct udev *udev_new(void)
{
	return NULL;
}

struct udev *udev_unref(struct udev *u)
{
	return NULL;
}

struct udev_device *udev_device_new_from_subsystem_sysname(struct udev *u, const char *sub,
							   const char *name)
{
	return NULL;
}

struct udev_device *udev_device_unref(struct udev_device *d)
{
	return NULL;
}

const char *udev_device_get_property_value(struct udev_device *d, const char *key)
{
	return NULL;
}

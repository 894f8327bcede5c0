#include "harness/builtin.h"
#include "lab/transport.h"
#include "common/spawn.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "common/version.h"
#include "build/version.h"

#include <stdio.h>
#include <git2.h>
#include <hwloc.h>
#include <jansson.h>
#include <perfmon/pfmlib.h>
#include <sqlite3.h>
#include <libelf.h>

/* The agent this perflab puts on lab hosts, as it names itself. */
static void print_agent(void)
{
	const char *path;
	char *argv[] = { NULL, "version", NULL };
	struct strbuf out = STRBUF_INIT;
	int quiet = verbosity;

	verbosity = 0;
	path = agent_local_path();
	verbosity = quiet;
	argv[0] = (char *)path;
	if (path && !run_capture(argv, 10, &out))
		printf("%.*s (%s)\n", (int)strcspn(out.buf, "\n"), out.buf, path);
	else
		printf("perflab-agent: not found (make builds it beside perflab)\n");
	strbuf_release(&out);
}

void print_versions(void)
{
	int maj, min, rev;
	unsigned hw = hwloc_get_api_version();
	int pfm = pfm_get_version();

	git_libgit2_version(&maj, &min, &rev);
	printf("perflab %s (agent protocol %d)\n", PERFLAB_VERSION, PERFLAB_AGENT_PROTOCOL);
	print_agent();
	printf("libgit2 %d.%d.%d\n", maj, min, rev);
	printf("hwloc %u.%u.%u (API)\n", hw >> 16, (hw >> 8) & 0xff, hw & 0xff);
	printf("jansson %s\n", jansson_version_str());
	printf("sqlite %s\n", sqlite3_libversion());
	printf("libpfm4 %d.%d\n", PFM_MAJ_VERSION(pfm), PFM_MIN_VERSION(pfm));
	printf("libelf (ELF version %u)\n", elf_version(EV_NONE));
	printf("inih %s (build)\n", INIH_VERSION);
}

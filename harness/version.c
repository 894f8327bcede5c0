#include "harness/builtin.h"
#include "lab/transport.h"
#include "common/spawn.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "common/version.h"
#include "build/version.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elfutils/libdwfl.h>
#include <git2.h>
#include <hwloc.h>
#include <ini.h>
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
		printf("perflab-agent: not found beside perflab nor in %s\n", perflab_libexecdir());
	strbuf_release(&out);
}

/*
 * The release of the shared object that holds sym, from the file the
 * dynamic linker loaded: libpfm.so.4 is a link to libpfm.so.4.13.0,
 * libelf.so.1 to libelf-0.188.so. Some libraries' API versions stay put
 * across releases (libpfm4 says 4.0 from 4.0 to 4.13), so the file is
 * what tells. Returns 0 and the version and file name, or -1 (a static
 * link, or a name without a version).
 */
static int so_release(const void *sym, char *ver, size_t vlen, char *file, size_t flen)
{
	Dl_info info;
	char real[PATH_MAX];
	const char *base, *v, *end;

	if (!dladdr(sym, &info) || !info.dli_fname || !realpath(info.dli_fname, real))
		return -1;
	base = strrchr(real, '/') ? strrchr(real, '/') + 1 : real;
	snprintf(file, flen, "%.200s", base);
	if ((v = strstr(base, ".so.")))		/* libpfm.so.4.13.0 */
		v += 4, end = v + strlen(v);
	else if ((v = strrchr(base, '-')) && (end = strstr(v, ".so")))	/* libelf-0.188.so */
		v++;
	else
		return -1;
	if (v >= end || end - v >= (long)vlen)
		return -1;
	snprintf(ver, vlen, "%.*s", (int)(end - v), v);
	return 0;
}

static void print_so(const char *name, const void *sym, const char *fallback)
{
	char ver[64], file[256];

	if (!so_release(sym, ver, sizeof(ver), file, sizeof(file)))
		printf("%s %s (%s, as loaded)%s%s\n", name, ver, file, *fallback ? "; " : "",
		       fallback);
	else
		printf("%s %s\n", name, fallback);
}

void print_versions(void)
{
	int maj, min, rev;
	unsigned hw = hwloc_get_api_version();
	int pfm = pfm_get_version();
	char api[64];

	git_libgit2_version(&maj, &min, &rev);
	printf("perflab %s (agent protocol %d)\n", PERFLAB_VERSION, PERFLAB_AGENT_PROTOCOL);
	print_agent();
	printf("libgit2 %d.%d.%d\n", maj, min, rev);
	printf("hwloc %s (headers built with; API %u.%u at run time)\n", HWLOC_VERSION, hw >> 16,
	       (hw >> 8) & 0xff);
	printf("jansson %s\n", jansson_version_str());
	printf("sqlite %s\n", sqlite3_libversion());
	snprintf(api, sizeof(api), "API %d.%d", PFM_MAJ_VERSION(pfm), PFM_MIN_VERSION(pfm));
	print_so("libpfm4", (const void *)pfm_get_version, api);
	printf("elfutils libdw %s (libdwfl, at run time)\n", dwfl_version(NULL));
	print_so("libelf", (const void *)elf_version, "");
	print_so("inih", (const void *)ini_parse, INIH_VERSION " at build time");
}

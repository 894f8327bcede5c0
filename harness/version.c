#include "harness/builtin.h"
#include "build/version.h"

#include <stdio.h>
#include <git2.h>
#include <hwloc.h>
#include <jansson.h>
#include <perfmon/pfmlib.h>
#include <sqlite3.h>
#include <libelf.h>

void print_versions(void)
{
	int maj, min, rev;
	unsigned hw = hwloc_get_api_version();
	int pfm = pfm_get_version();

	git_libgit2_version(&maj, &min, &rev);
	printf("perflab %s\n", PERFLAB_VERSION);
	printf("libgit2 %d.%d.%d\n", maj, min, rev);
	printf("hwloc %u.%u.%u (API)\n", hw >> 16, (hw >> 8) & 0xff, hw & 0xff);
	printf("jansson %s\n", jansson_version_str());
	printf("sqlite %s\n", sqlite3_libversion());
	printf("libpfm4 %d.%d\n", PFM_MAJ_VERSION(pfm), PFM_MIN_VERSION(pfm));
	printf("libelf (ELF version %u)\n", elf_version(EV_NONE));
	printf("inih %s (build)\n", INIH_VERSION);
}

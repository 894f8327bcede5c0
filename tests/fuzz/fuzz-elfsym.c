/*
 * libFuzzer target: arbitrary bytes as an ELF image. libelf reads them
 * for the symbol tables and load segments of `perflab top`; nothing may
 * crash, and what comes out must be a sorted table.
 */
#include "collectors/symbols.h"
#include "common/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(const char *prefix, const char *msg)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_syms e;
	uint8_t *copy;

	report_hook = quiet;
	/* an exact-size copy, so reads past the end are caught */
	copy = xmalloc(size ? size : 1);
	memcpy(copy, data, size);
	if (!elf_syms_read_mem(&e, copy, size, "fuzz")) {
		for (size_t i = 1; i < e.tab.nr; i++)
			if (e.tab.syms[i - 1].addr >= e.tab.syms[i].addr)
				abort();
		for (size_t i = 0; i < e.nsegs; i++)
			elf_file_vaddr(&e, e.segs[i].offset + e.segs[i].filesz / 2);
		/* a sized symbol always covers its own start */
		for (size_t i = 0; i < e.tab.nr && i < 64; i++)
			if (!e.tab.syms[i].name[0] || (e.tab.syms[i].size &&
			    !symtab_lookup(&e.tab, e.tab.syms[i].addr)))
				abort();
	}
	elf_syms_release(&e);
	free(copy);
	return 0;
}

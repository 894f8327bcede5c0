/*
 * libFuzzer target: the kernel text `perflab top` reads -- /proc/kallsyms
 * and /proc/PID/maps. The first byte picks the parser; lookups then run
 * on whatever table came out.
 */
#include "collectors/symbolize.h"
#include "collectors/symbols.h"
#include "common/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(const char *prefix, const char *msg)
{
}

static int check_line(const struct maps_line *m, void *data)
{
	if (m->end < m->start || m->path_len < 0)
		abort();
	return 0;
}

static void lookups(const struct symtab *t, const uint8_t *data, size_t size)
{
	for (size_t i = 0; i + 8 <= size && i < 256; i += 8) {
		uint64_t a;
		const struct sym *s;

		memcpy(&a, data + i, sizeof(a));
		s = symtab_lookup(t, a);
		if (s && (s->addr > a || !s->name))
			abort();
	}
	for (size_t i = 1; i < t->nr; i++)
		if (t->syms[i - 1].addr >= t->syms[i].addr)
			abort();	/* sorted, one per address */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct symtab t;
	char *text;

	if (size < 1)
		return 0;
	report_hook = quiet;
	text = xstrndup((const char *)data + 1, size - 1);
	if (data[0] & 1) {
		proc_maps_parse(text, "fuzz", check_line, NULL);
	} else if (!kallsyms_parse(&t, text, "fuzz")) {
		lookups(&t, data, size);
		symtab_release(&t);
	}
	free(text);
	return 0;
}

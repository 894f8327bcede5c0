/*
 * libFuzzer target: the items file of a knob bisection. Every input is
 * a list of items or a reported error naming the line, never a crash
 * or a leak.
 */
#include "lab/knobitems.h"
#include "common/util.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(const char *prefix, const char *msg)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct items it = { 0 };

	report_hook = quiet;
	knob_items_parse(&it, "fuzz.items", (const char *)data, size);
	knob_items_release(&it);
	return 0;
}

/*
 * libFuzzer target: the configuration parser (libinih underneath, our
 * line checks and schemas on top). Every input must come back as a
 * clean parse or a reported error, never a crash or a leak.
 */
#include "lab/config.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(const char *prefix, const char *msg)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_file f;

	report_hook = quiet;
	if (!cfg_file_parse(&f, "fuzz.conf", (const char *)data, size)) {
		struct strbuf sb = STRBUF_INIT;

		cfg_print(&f, &sb);	/* a valid file prints its effective form */
		strbuf_release(&sb);
		cfg_file_release(&f);
	}
	return 0;
}

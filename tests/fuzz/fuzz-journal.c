/*
 * libFuzzer target: a bisection journal as resume reads it. The input
 * is written to a scratch file and replayed into a fresh engine (which
 * reads every line, rebuilds the range and checks each round).
 */
#include "bisect/journal.h"
#include "bisect/revs.h"
#include "common/util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(const char *prefix, const char *msg)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct bisect_revs r;
	struct engine *e = NULL;
	FILE *f;

	report_hook = quiet;
	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/fuzz-journal-%d.ndjson", (int)getpid());
	if (!(f = fopen(path, "w")))
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	if (journal_replay(path, &e, &r) == 0) {
		engine_free(e);
		revs_release(&r);
	}
	unlink(path);
	return 0;
}

/*
 * libFuzzer target: reading a run's result files back (summary.json is
 * rebuilt from them). The input is split at form feeds into
 * client.ndjson, server.ndjson, cpu.ndjson, freq.ndjson and net.ndjson
 * in a scratch directory, then summarized.
 */
#include "store/summary.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(const char *prefix, const char *msg)
{
}

static char dir[64];

static void cleanup(void)
{
	remove_tree(dir);
}

static const char *names[] = { "client", "server", "cpu", "freq", "net" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	json_t *sum;

	report_hook = quiet;
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/perflab-fuzz-%ld", (long)getpid());
		mkdir_p(dir);
		atexit(cleanup);
	}
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const char *ff = p < end ? memchr(p, '\f', (size_t)(end - p)) : NULL;
		const char *stop = ff ? ff : end;
		char *path = xasprintf("%s/%s.ndjson", dir, names[i]);

		FILE *f;

		unlink(path);
		if (p < end && (f = fopen(path, "w"))) {
			fwrite(p, 1, (size_t)(stop - p), f);
			fclose(f);
		}
		free(path);
		p = ff ? ff + 1 : end;
	}
	sum = summary_build(dir);
	json_decref(sum);
	return 0;
}

/*
 * libFuzzer target: the history's reader of a run directory. The input
 * is split at form feeds into run.json, summary.json, tags.json and
 * fingerprint.json in a scratch run directory, which is then read as
 * `perflab history` reads it (no database: the reader is what takes
 * outside text).
 */
#include "store/history.h"
#include "common/fsutil.h"
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

static char results[64], dir[80];

static void cleanup(void)
{
	remove_tree(results);
}

static const char *names[] = { "run.json", "summary.json", "tags.json", "fingerprint.json" };

static void write_part(const char *name, const char *p, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f;

	unlink(path);
	if ((f = fopen(path, "w"))) {
		fwrite(p, 1, len, f);
		fclose(f);
	}
	free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct history_run r;

	report_hook = quiet;
	if (!results[0]) {
		snprintf(results, sizeof(results), "/tmp/perflab-fuzz-history-%ld", (long)getpid());
		snprintf(dir, sizeof(dir), "%s/run", results);
		mkdir_p(dir);
		atexit(cleanup);
	}
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const char *ff = p < end ? memchr(p, '\f', (size_t)(end - p)) : NULL;
		const char *stop = ff ? ff : end;
		char *path = xasprintf("%s/%s", dir, names[i]);

		unlink(path);
		free(path);
		if (p < end)
			write_part(names[i], p, (size_t)(stop - p));
		p = ff ? ff + 1 : end;
	}
	history_run_read(&r, results, "run");
	history_run_release(&r);
	return 0;
}

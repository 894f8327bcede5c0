/*
 * libFuzzer target: the readers of a bisection's trace.json and
 * result.json. The input is split at the first form feed into the two
 * documents; each is parsed as JSON, then read strictly.
 */
#include "reports/plot.h"
#include "bisect/result.h"
#include "reports/report.h"
#include "common/json.h"
#include "common/util.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(const char *prefix, const char *msg)
{
}

static void one(const char *p, size_t len, int result)
{
	json_t *doc = json_loadb(p, len, JSON_DECODE_ANY, NULL);
	struct bisect_result r;
	struct trace t;

	if (!doc)
		return;
	if (result) {
		bisect_result_parse(&r, doc, "result.json");
		bisect_result_release(&r);
	} else {
		trace_parse(&t, doc, "trace.json");
		trace_release(&t);
	}
	json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *ff = memchr(p, '\f', size);
	size_t first = ff ? (size_t)(ff - p) : size;

	report_hook = quiet;
	one(p, first, 0);
	if (ff)
		one(ff + 1, size - first - 1, 1);
	return 0;
}

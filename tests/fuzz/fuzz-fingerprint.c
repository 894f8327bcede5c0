/*
 * libFuzzer target: reading fingerprints back (perflab fingerprint diff
 * reads files anyone may hand it). Every input must come back as a
 * checked fingerprint or a reported error. A fingerprint that passes
 * must diff against itself as identical, and diff and print against a
 * real one without a crash. The same text also goes through the
 * /proc/cpuinfo reader.
 */
#include "collectors/fingerprint.h"
#include "verdict/fpdiff.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(const char *prefix, const char *msg)
{
}

static const char base_text[] = "{\"fingerprint_version\": 1,"
	"\"kernel\": {\"release\": \"6.1.0\", \"cmdline\": \"quiet isolcpus=2 nohz_full=2 idle=poll\"},"
	"\"cpufreq\": {\"driver\": \"intel_pstate\", \"policies\": {\"0-3\": {\"governor\": \"powersave\"}}},"
	"\"sysctl\": {\"net.core.rmem_max\": \"212992\"}, \"modules\": [\"ixgbe\", \"tcp_bbr\"],"
	"\"devices\": {\"memory/memory*\": {\"(none)\": 12}, \"pci/0000:00:1f.2\": \"ahci\"}}";

static void exercise(const json_t *a, const json_t *b)
{
	struct fp_diff d;
	struct strbuf out = STRBUF_INIT;
	json_t *j;

	fp_diff_compute(&d, a, b);
	fp_diff_format(&out, &d);
	j = fp_diff_json(&d);
	json_decref(j);
	strbuf_release(&out);
	fp_diff_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *base;
	char hex[SHA256_HEX], *text;
	json_t *fp, *cpu;
	struct fp_diff self;

	report_hook = quiet;
	if (!base && !(base = fingerprint_parse(base_text, sizeof(base_text) - 1, "base")))
		abort();
	fp = fingerprint_parse((const char *)data, size, "fuzz.json");
	if (fp) {
		fp_diff_compute(&self, fp, fp);
		if (self.nr)
			abort();	/* a fingerprint differs from itself */
		fp_diff_release(&self);
		exercise(fp, base);
		exercise(base, fp);
		fingerprint_hash(fp, hex);
		json_decref(fp);
	}
	text = xstrndup((const char *)data, size);
	cpu = json_object();
	fingerprint_cpuinfo(cpu, text);
	json_decref(cpu);
	free(text);
	return 0;
}

/*
 * libFuzzer target: event names as users type them -- the pmcstat
 * translation and alias table, -e list splitting, libpfm4's encoder
 * behind pmc_encode (for an inactive PMU, as `perflab events --pmu`),
 * and -C CPU lists. The first byte picks the parser. Every input must
 * come back as a result or a reported error, never a crash or a leak.
 */
#include "collectors/pmc.h"
#include "collectors/pmcname.h"
#include "collectors/topology.h"
#include "common/parse.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(const char *prefix, const char *msg)
{
}

static void translate(const char *text)
{
	for (int alias = 0; alias < 2; alias++) {
		struct strbuf sb = STRBUF_INIT;
		int ret = pmcname_translate(text, alias, &sb);

		/* a translation is itself a valid spec, with no dot left in the event */
		if (!ret && (!sb.len || sb.len > 2 * PMCNAME_MAX + 64))
			abort();
		strbuf_release(&sb);
	}
}

static void split(const char *text)
{
	char **v;
	int n = pmcname_split(text, &v);

	if (n < 0)
		return;
	if (n == 0 || n > PMCNAME_LIST_MAX || argv_len(v) != n)
		abort();
	for (int i = 0; i < n; i++)
		if (!*v[i])
			abort();
	argv_free(v);
}

static void encode(const char *text, int which)
{
	static const char *const pmus[] = { NULL, "snb", "skx", "amd64_fam19h_zen3" };
	struct pmc_event e;

	if (!pmc_encode(&e, text, pmus[which % 4]))
		pmc_event_release(&e);
}

static void cpus(const char *text)
{
	int *v;
	int n = cpulist_parse(text, &v, "fuzz");

	if (n < 0)
		return;
	for (int i = 1; i < n; i++)
		if (v[i] <= v[i - 1])
			abort();
	free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1 || size > 4096)
		return 0;
	report_hook = quiet;
	text = xstrndup((const char *)data + 1, size - 1);
	switch (data[0] % 4) {
	case 0:
		translate(text);
		break;
	case 1:
		split(text);
		break;
	case 2:
		encode(text, data[0] / 4);
		break;
	case 3:
		cpus(text);
		break;
	}
	free(text);
	return 0;
}

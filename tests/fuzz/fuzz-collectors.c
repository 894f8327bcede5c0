/*
 * libFuzzer target: the collectors' parsers of kernel text -- Linux
 * /proc/stat, /proc/net/dev, /proc/net/snmp and netstat; FreeBSD
 * kern.cp_times and freq_levels. The first byte picks the parser.
 */
#include "collectors/cpustat.h"
#include "collectors/freq.h"
#include "collectors/netstat.h"
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
	char *text;
	struct cpustat cs;
	struct netdev_list nd;
	struct snmp_table st = { 0 };
	double *levels;
	int n;

	if (size < 1)
		return 0;
	report_hook = quiet;
	text = xstrndup((const char *)data + 1, size - 1);
	switch (data[0] % 5) {
	case 0:
		if (!procstat_parse(&cs, text, "fuzz")) {
			if (cs.ncpu <= 0 || !cs.all.have)
				abort();
			cpustat_release(&cs);
		}
		break;
	case 1:
		if (!cptimes_parse(&cs, text, "fuzz"))
			cpustat_release(&cs);
		break;
	case 2:
		if (!netdev_parse(&nd, text, "fuzz"))
			netdev_list_release(&nd);
		break;
	case 3:
		snmp_parse(&st, text, "fuzz");
		snmp_table_release(&st);
		break;
	case 4:
		n = freq_levels_parse(text, &levels);
		if (n >= 0)
			free(levels);
		break;
	}
	free(text);
	return 0;
}

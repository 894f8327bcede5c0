/*
 * libFuzzer target: every reader of the TCP blackbox. The first byte
 * picks one:
 *   0  a trace file (tcprec_parse), then every check over what it read
 *   1  a tracefs format file up to a NUL byte (tp_format_parse), then the
 *      rest of the input as a raw record of the event the second byte
 *      names (tcpperf_def_decode)
 *   2  netlink messages of a sock_diag dump or broadcast (tcpdiag_parse)
 */
#include "collectors/tcpcheck.h"
#include "collectors/tcpdiag.h"
#include "collectors/tcpperf.h"
#include "collectors/tcprec.h"
#include "collectors/tcptp.h"
#include "common/json.h"
#include "common/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__ubsan_default_options(void);

/*
 * Undefined behaviour ends the run like a crash: the fuzz build's flags
 * let UBSan print and carry on (FUZZ_FLAGS has no
 * -fno-sanitize-recover), which a short run in `make check` would miss.
 */
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

static void quiet(const char *prefix, const char *msg)
{
}

static void trace(const uint8_t *data, size_t size)
{
	struct tcpcheck_thresholds th;
	struct tcpcheck_report rep;
	struct tcprec_file f;
	json_t *j;

	if (tcprec_parse(&f, (const char *)data, size, "fuzz"))
		return;
	for (size_t i = 0; i < f.nr_conn; i++)
		if (f.conn[i].first + f.conn[i].nr > f.nr_rec)
			abort();
	tcpcheck_thresholds_init(&th);
	tcpcheck_run(&rep, &f, &th);
	j = tcpcheck_report_json(&rep);
	json_decref(j);
	tcpcheck_report_release(&rep);
	tcprec_file_release(&f);
}

static void format_and_record(const uint8_t *data, size_t size)
{
	const uint8_t *nul;
	struct tp_format fmt;
	struct tcpperf_def *d;
	struct tcpperf_ev ev;
	char *text;

	if (size < 1)
		return;
	nul = memchr(data + 1, '\0', size - 1);
	text = xstrndup((const char *)data + 1, nul ? (size_t)(nul - data - 1) : size - 1);
	if (!tp_format_parse(&fmt, text, "fuzz")) {
		d = tcpperf_def_new(tcpperf_events[data[0] % tcpperf_nevents].name, &fmt);
		if (d && nul)
			tcpperf_def_decode(d, nul + 1, size - (size_t)(nul + 1 - data), 1, &ev);
		tcpperf_def_free(d);
		tp_format_release(&fmt);
	}
	free(text);
}

static void count(const struct tcpdiag_sock *s, void *data)
{
	(*(size_t *)data)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0;

	if (size < 1)
		return 0;
	report_hook = quiet;
	switch (data[0] % 3) {
	case 0:
		trace(data + 1, size - 1);
		break;
	case 1:
		format_and_record(data + 1, size - 1);
		break;
	case 2: {
		/* netlink buffers are aligned; so is this copy */
		void *buf = xmalloc(size);

		memcpy(buf, data + 1, size - 1);
		tcpdiag_parse(buf, size - 1, count, &n);
		free(buf);
		break;
	}
	}
	return 0;
}

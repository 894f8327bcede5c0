/*
 * JUnit XML from a comparison: the gated metrics as test cases.
 */
#include "reports/junit.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Text for an XML attribute or element: the five entities, no control characters. */
static void xml_escape(struct strbuf *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': strbuf_addstr(out, "&amp;"); break;
		case '<': strbuf_addstr(out, "&lt;"); break;
		case '>': strbuf_addstr(out, "&gt;"); break;
		case '"': strbuf_addstr(out, "&quot;"); break;
		case '\'': strbuf_addstr(out, "&apos;"); break;
		case '\n': strbuf_addstr(out, "&#10;"); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				strbuf_addch(out, *s);
		}
	}
}

static const char *verdict_of(const json_t *m)
{
	const char *o = json_get_str(m, "verdict.outcome");

	return o ? o : "";
}

/* "BAD: B/A 1.123 [1.081, 1.160] at 95.0% confidence; threshold +5%; p 0.0012 (...)" */
static void message(struct strbuf *out, const json_t *m)
{
	double lo = json_get_num(m, "verdict.lo"), hi = json_get_num(m, "verdict.hi");

	strbuf_addf(out, "%s: %s B/A %.4g [%.4g, ", verdict_of(m), json_get_str(m, "name"),
		    json_get_num(m, "verdict.ratio"), lo);
	if (isnan(hi))
		strbuf_addstr(out, "inf");
	else
		strbuf_addf(out, "%.4g", hi);
	strbuf_addf(out, "] at %.1f%% confidence, threshold %+.1f%%, p %.3g (Holm %.3g)",
		    100 * json_get_num(m, "verdict.confidence"),
		    100 * json_get_num(m, "verdict.threshold"), json_get_num(m, "verdict.p"),
		    json_get_num(m, "verdict.p_adjusted"));
	if (json_get_str(m, "verdict.reason") && *json_get_str(m, "verdict.reason"))
		strbuf_addf(out, ": %s", json_get_str(m, "verdict.reason"));
}

/* The medians of both sides, for the test case's output. */
static void sides(struct strbuf *out, const json_t *m)
{
	strbuf_addf(out, "A: %.0f runs, median %.6g; B: %.0f runs, median %.6g",
		    json_get_num(m, "a.n"), json_get_num(m, "a.median"), json_get_num(m, "b.n"),
		    json_get_num(m, "b.median"));
}

static void one_case(struct strbuf *x, struct strbuf *out, const char *suite, const json_t *m)
{
	const char *v = verdict_of(m);
	struct strbuf msg = STRBUF_INIT, text = STRBUF_INIT;

	message(&msg, m);
	sides(&text, m);
	strbuf_addstr(out, "    <testcase name=\"");
	xml_escape(out, json_get_str(m, "name"));
	strbuf_addstr(out, "\" classname=\"perflab.");
	xml_escape(out, suite);
	strbuf_addstr(out, "\" time=\"0\">\n");
	if (!strcmp(v, "BAD") || !strcmp(v, "INCONCLUSIVE")) {
		strbuf_addstr(out, !strcmp(v, "BAD") ? "      <failure type=\"BAD\" message=\""
			      : "      <skipped message=\"");
		xml_escape(out, msg.buf);
		strbuf_addstr(out, "\">");
		xml_escape(out, text.buf);
		strbuf_addstr(out, !strcmp(v, "BAD") ? "</failure>\n" : "</skipped>\n");
	}
	strbuf_addstr(out, "      <system-out>");
	xml_escape(out, msg.buf);
	strbuf_addstr(out, "&#10;");
	xml_escape(out, text.buf);
	strbuf_addstr(out, "</system-out>\n    </testcase>\n");
	strbuf_addstr(x, v);
	strbuf_release(&msg);
	strbuf_release(&text);
}

/* A night with no comparison: one case, passed or an error. */
static void night_case(struct strbuf *out, const char *suite, const char *verdict,
		       const char *reason)
{
	strbuf_addstr(out, "    <testcase name=\"night\" classname=\"perflab.");
	xml_escape(out, suite);
	strbuf_addstr(out, "\" time=\"0\">\n");
	if (strcmp(verdict, "GOOD")) {
		strbuf_addstr(out, "      <error type=\"");
		xml_escape(out, verdict);
		strbuf_addstr(out, "\" message=\"");
		xml_escape(out, verdict);
		strbuf_addstr(out, ": ");
		xml_escape(out, reason ? reason : "");
		strbuf_addstr(out, "\"/>\n");
	}
	strbuf_addstr(out, "      <system-out>");
	xml_escape(out, verdict);
	strbuf_addstr(out, ": ");
	xml_escape(out, reason ? reason : "");
	strbuf_addstr(out, "</system-out>\n    </testcase>\n");
}

void junit_format(struct strbuf *out, const char *suite, const json_t *comparison,
		  const char *verdict, const char *reason)
{
	const json_t *metrics = json_object_get(comparison, "metrics"), *m;
	struct strbuf cases = STRBUF_INIT, kinds = STRBUF_INIT;
	size_t i, tests = 0, failures = 0, skipped = 0, errors = 0;
	char host[256] = "localhost", stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	json_array_foreach(metrics, i, m) {
		if (!json_is_object(json_object_get(m, "verdict")))
			continue;
		strbuf_reset(&kinds);
		one_case(&kinds, &cases, suite, m);
		tests++;
		failures += !strcmp(kinds.buf, "BAD");
		skipped += !strcmp(kinds.buf, "INCONCLUSIVE");
	}
	if (!tests) {
		night_case(&cases, suite, verdict ? verdict : "FAILED", reason);
		tests = 1;
		errors = !verdict || strcmp(verdict, "GOOD");
	}
	gethostname(host, sizeof(host) - 1);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	strbuf_addf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<testsuites name=\"perflab\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		    "time=\"0\">\n", tests, failures, errors);
	strbuf_addstr(out, "  <testsuite name=\"");
	xml_escape(out, suite);
	strbuf_addf(out, "\" package=\"perflab\" id=\"0\" tests=\"%zu\" failures=\"%zu\" "
		    "errors=\"%zu\" skipped=\"%zu\" time=\"0\" timestamp=\"%s\" hostname=\"",
		    tests, failures, errors, skipped, stamp);
	xml_escape(out, host);
	strbuf_addstr(out, "\">\n    <properties>\n");
	strbuf_addstr(out, "      <property name=\"verdict\" value=\"");
	xml_escape(out, verdict ? verdict : json_get_str(comparison, "outcome"));
	strbuf_addstr(out, "\"/>\n    </properties>\n");
	strbuf_add(out, cases.buf, cases.len);
	strbuf_addstr(out, "    <system-out>");
	xml_escape(out, comparison ? json_get_str(comparison, "summary") : reason);
	strbuf_addstr(out, "</system-out>\n    <system-err></system-err>\n  </testsuite>\n"
		      "</testsuites>\n");
	strbuf_release(&cases);
	strbuf_release(&kinds);
}

int junit_write(const char *path, const char *suite, const json_t *comparison,
		const char *verdict, const char *reason)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	junit_format(&sb, suite, comparison, verdict, reason);
	ret = write_file_atomic(path, sb.buf, sb.len, 0);
	strbuf_release(&sb);
	return ret ? error("cannot write the JUnit report '%s'", path) : 0;
}

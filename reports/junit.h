#ifndef REPORTS_JUNIT_H
#define REPORTS_JUNIT_H

struct json_t;
struct strbuf;

/*
 * JUnit XML for CI (Jenkins, GitLab, anything that reads Ant's JUnit
 * reports), so a bad night shows as a failed test where a team looks.
 *
 * One <testsuite> named suite in a <testsuites>; one <testcase> per
 * gated metric of comparison (the shape of comparison_json): GOOD
 * passes, BAD is a <failure type="BAD">, INCONCLUSIVE a <skipped>; the
 * message says the verdict, the ratio B/A and its interval, the
 * threshold, p and the reason. Without a comparison (a night that could
 * not be compared: the first night, a tip that does not build, a lab
 * that broke), one <testcase> named "night": passed when verdict is
 * GOOD, else an <error type="VERDICT"> with reason. The <system-out>
 * holds the comparison's summary in plain words.
 */
void junit_format(struct strbuf *out, const char *suite, const struct json_t *comparison,
		  const char *verdict, const char *reason);
/* The same into a file, written atomically. 0 or -1 (reported). */
int junit_write(const char *path, const char *suite, const struct json_t *comparison,
		const char *verdict, const char *reason);

#endif

#ifndef TESTS_UNIT_TEST_H
#define TESTS_UNIT_TEST_H

/*
 * A small unit-test registry in the manner of clar: TEST(suite, name)
 * defines test_<suite>__<name> and registers it by name, so
 * `build/unit-tests suite` or `build/unit-tests suite.name` runs a part.
 * A failed CHECK marks the test failed and carries on; REQUIRE stops it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(void);
void test_register(const char *suite, const char *name, test_fn fn);
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
extern int test_failed_now;
/* A scratch directory for this test, removed afterwards. */
const char *test_tmpdir(void);
/* Write a file into the scratch directory; returns its path (static). */
const char *test_write(const char *name, const char *content);
/* Is the test running as root / can it open a socket etc. */
int test_is_root(void);
/*
 * Capture error()/warning() messages instead of printing them: between
 * test_capture_start() and test_capture_end() they collect in a buffer
 * that test_captured() returns ("error: ...\n" lines).
 */
void test_capture_start(void);
const char *test_captured(void);
void test_capture_end(void);
/* Skip the rest of the current test with a reason (counts as passed). */
void test_skip(const char *why);

#define TEST(suite, name) \
	static void test_##suite##__##name(void); \
	__attribute__((constructor)) static void test_reg_##suite##__##name(void) \
	{ test_register(#suite, #name, test_##suite##__##name); } \
	static void test_##suite##__##name(void)

#define CHECK(cond) do { if (!(cond)) \
	test_fail(__FILE__, __LINE__, "check failed: %s", #cond); } while (0)
#define REQUIRE(cond) do { if (!(cond)) { \
	test_fail(__FILE__, __LINE__, "required: %s", #cond); return; } } while (0)
#define CHECK_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
	if (a_ != b_) test_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", \
				#a, a_, b_); } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
	if (!a_ || !b_ || strcmp(a_, b_)) test_fail(__FILE__, __LINE__, \
		"%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", \
		b_ ? b_ : "(null)"); } while (0)
#define CHECK_NEAR(a, b, tol) do { double a_ = (a), b_ = (b); \
	if (!(fabs(a_ - b_) <= (tol))) test_fail(__FILE__, __LINE__, \
		"%s == %.10g, expected %.10g within %g", #a, a_, b_, (double)(tol)); \
	} while (0)
#define CHECK_CONTAINS(hay, needle) do { const char *h_ = (hay), *n_ = (needle); \
	if (!h_ || !strstr(h_, n_)) test_fail(__FILE__, __LINE__, \
		"%s does not contain \"%s\": \"%s\"", #hay, n_, h_ ? h_ : "(null)"); \
	} while (0)

#endif

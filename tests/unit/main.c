#include "tests/unit/test.h"
#include "common/fsutil.h"
#include "common/util.h"
#include "common/strbuf.h"

#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

struct test_case {
	const char *suite, *name;
	test_fn fn;
};

static struct test_case tests[1024];
static int ntests;
int test_failed_now;
static const char *skip_reason;
static char tmpdir[256];

void test_register(const char *suite, const char *name, test_fn fn)
{
	if (ntests == (int)ARRAY_SIZE(tests))
		die("too many unit tests");
	tests[ntests++] = (struct test_case){ suite, name, fn };
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("#   %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	test_failed_now = 1;
}

void test_skip(const char *why)
{
	skip_reason = why;
}

const char *test_tmpdir(void)
{
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "%s/perflab-unit-XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(tmpdir))
			die_errno("cannot create a scratch directory");
	}
	return tmpdir;
}

const char *test_write(const char *name, const char *content)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
	f = fopen(path, "w");
	if (!f)
		die_errno("cannot write '%s'", path);
	fputs(content, f);
	fclose(f);
	return path;
}

static struct strbuf captured = STRBUF_INIT;

static void capture(const char *prefix, const char *msg)
{
	strbuf_addf(&captured, "%s: %s\n", prefix, msg);
}

void test_capture_start(void)
{
	strbuf_reset(&captured);
	report_hook = capture;
}

const char *test_captured(void)
{
	return captured.buf;
}

void test_capture_end(void)
{
	report_hook = NULL;
}

int test_is_root(void)
{
	return geteuid() == 0;
}

static int selected(const struct test_case *t, int argc, char **argv)
{
	char full[256];

	if (argc < 2)
		return 1;
	snprintf(full, sizeof(full), "%s.%s", t->suite, t->name);
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], t->suite) || !fnmatch(argv[i], full, 0))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	int n = 0, failed = 0;

	verbosity = 0;	/* the code under test keeps quiet unless asked */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < ntests; i++) {
		struct test_case *t = &tests[i];

		if (!selected(t, argc, argv))
			continue;
		test_failed_now = 0;
		skip_reason = NULL;
		fflush(stdout);
		t->fn();
		n++;
		if (test_failed_now)
			failed++;
		printf("%s %d - %s.%s%s%s\n", test_failed_now ? "not ok" : "ok", n,
		       t->suite, t->name, skip_reason ? " # skip " : "",
		       skip_reason ? skip_reason : "");
		test_capture_end();
		if (tmpdir[0]) {
			remove_tree(tmpdir);
			tmpdir[0] = '\0';
		}
	}
	strbuf_release(&captured);
	printf("1..%d\n", n);
	return failed ? 1 : 0;
}

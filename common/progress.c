#include "common/progress.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum progress_mode { PROGRESS_UNSET, PROGRESS_OFF, PROGRESS_LINES, PROGRESS_TTY };

static enum progress_mode mode;
static int pending;	/* a status line is on the terminal */

static enum progress_mode get_mode(void)
{
	const char *env;

	if (mode != PROGRESS_UNSET)
		return mode;
	env = getenv("PERFLAB_PROGRESS");
	if (env && !strcmp(env, "0"))
		mode = PROGRESS_OFF;
	else if ((env && !strcmp(env, "lines")) || !isatty(STDERR_FILENO))
		mode = PROGRESS_LINES;
	else
		mode = PROGRESS_TTY;
	return mode;
}

void progress(const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (get_mode() == PROGRESS_OFF)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fflush(stdout);
	if (mode == PROGRESS_TTY) {
		fprintf(stderr, "\r\033[K%s", text);
		pending = 1;
	} else {
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;

		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
		fprintf(stderr, "%s %s\n", stamp, text);
	}
	fflush(stderr);
}

int progress_on_tty(void)
{
	return get_mode() == PROGRESS_TTY;
}

void progress_clear(void)
{
	if (!pending)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	pending = 0;
}

const char *progress_duration(double s, char *buf, unsigned size)
{
	long t;

	if (!isfinite(s) || s < 0) {
		snprintf(buf, size, "?");
		return buf;
	}
	t = lround(s);
	if (t >= 3600)
		snprintf(buf, size, "%ldh%02ldm", t / 3600, t % 3600 / 60);
	else if (t >= 60)
		snprintf(buf, size, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, size, "%lds", t);
	return buf;
}

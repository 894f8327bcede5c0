#include "common/timeutil.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <time.h>

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

double mono_s(void)
{
	return (double)mono_ns() / 1e9;
}

uint64_t real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

const char *fmt_time_utc(uint64_t t, char *buf, int len)
{
	time_t secs = (time_t)(t / NSEC_PER_SEC);
	struct tm tm;
	char tmp[32];

	gmtime_r(&secs, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, (size_t)len, "%s.%03uZ", tmp,
		 (unsigned)(t % NSEC_PER_SEC / NSEC_PER_MSEC));
	return buf;
}

void sleep_ns(uint64_t ns)
{
	sleep_until_ns(mono_ns() + ns);
}

void sleep_until_ns(uint64_t deadline)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline / NSEC_PER_SEC),
		.tv_nsec = (long)(deadline % NSEC_PER_SEC),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Has fd reached EOF (or an error)? Data on it is read and ignored. */
static int fd_at_eof(int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	char buf[256];

	if (poll(&pf, 1, 0) <= 0)
		return 0;
	if (pf.revents & (POLLERR | POLLNVAL))
		return 1;
	return read(fd, buf, sizeof(buf)) == 0 || (pf.revents & POLLHUP && !(pf.revents & POLLIN));
}

int wait_until(uint64_t deadline, int watch_fd)
{
	sigset_t sigs;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	for (;;) {
		uint64_t now = mono_ns(), left, slice;
		struct timespec ts;

		if (watch_fd >= 0 && fd_at_eof(watch_fd))
			return WAIT_EOF;
		if (now >= deadline)
			return WAIT_TIME;
		left = deadline - now;
		slice = watch_fd >= 0 && left > 50 * NSEC_PER_MSEC ? 50 * NSEC_PER_MSEC : left;
		ts.tv_sec = (time_t)(slice / NSEC_PER_SEC);
		ts.tv_nsec = (long)(slice % NSEC_PER_SEC);
		if (sigtimedwait(&sigs, NULL, &ts) > 0)
			return WAIT_SIGNAL;
	}
}

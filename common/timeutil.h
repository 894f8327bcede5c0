#ifndef COMMON_TIMEUTIL_H
#define COMMON_TIMEUTIL_H

#include <stdint.h>

/* Nanoseconds on CLOCK_MONOTONIC: for intervals and time series. */
uint64_t mono_ns(void);
/* Seconds on CLOCK_MONOTONIC as a double, for JSON timestamps. */
double mono_s(void);
/* Nanoseconds since the epoch on CLOCK_REALTIME. */
uint64_t real_ns(void);
/* RFC 3339 UTC time with milliseconds: "2026-11-23T17:02:03.123Z". */
const char *fmt_time_utc(uint64_t real_ns_value, char *buf, int len);
/* Sleep for a number of nanoseconds, resuming after signals. */
void sleep_ns(uint64_t ns);
/* Sleep until an absolute CLOCK_MONOTONIC time in ns. */
void sleep_until_ns(uint64_t deadline);

/*
 * Wait until the CLOCK_MONOTONIC deadline (ns), a SIGINT or SIGTERM the
 * caller has blocked (it is consumed here), or -- with watch_fd >= 0 --
 * that fd reaching end of file (a controller that closed our standard
 * input: stop). Returns one of these:
 */
enum { WAIT_TIME, WAIT_SIGNAL, WAIT_EOF };
int wait_until(uint64_t deadline, int watch_fd);

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_USEC 1000ULL

#endif

#ifndef COMMON_PROGRESS_H
#define COMMON_PROGRESS_H

/*
 * Progress of long operations (a nightly's looks, a bisection's steps,
 * a run's warmup and measurement), on standard error. On a terminal it
 * is one status line rewritten in place; otherwise (a log, cron, CI)
 * each call is a plain line with a UTC timestamp, so a log shows when
 * every step happened. PERFLAB_PROGRESS=0 silences it, =lines forces
 * timestamped lines even on a terminal.
 */
void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Is progress a status line on a terminal (not plain lines, not off)? */
int progress_on_tty(void);
/* Erase the status line (before other output); nothing without one. */
void progress_clear(void);

/* "1h02m", "4m05s", "12s" for a number of seconds; "?" when unknown. */
const char *progress_duration(double seconds, char *buf, unsigned size);

#endif

#ifndef COMMON_PARSE_H
#define COMMON_PARSE_H

#include <stdint.h>

/*
 * Value parsers shared by the command line and the configuration files,
 * so `--sndbuf 128K` and `sndbuf = 128K` mean the same thing. Each
 * returns 0 and stores the value, or -1 without touching *out; callers
 * report the error with their own context (flag name or file:line).
 */

/*
 * Numbers are decimal only ([+-]digits[.digits][e[+-]digits]): strtod's
 * hex, inf and nan are refused. Sizes, rates and durations are never
 * negative and have a ceiling, so that no caller converts an
 * out-of-range double (1e21 bit/s once became 8 kbit/s):
 */
#define PARSE_SIZE_MAX 9007199254740992.0	/* bytes: 2^53 (8 PiB), exact in a double */
#define PARSE_RATE_MAX 1e15			/* bits/s: 1000T (1 Pbit/s) */
#define PARSE_DURATION_MAX 1e9			/* seconds (31 years): ns fit in 64 bits */

/* A finite decimal number (no unit). */
int parse_double(const char *s, double *out);
/* Decimal integer within [min, max]. */
int parse_long(const char *s, long min, long max, long *out);
/*
 * A size in bytes: plain digits, or with K/M/G/T (binary, as iperf3:
 * 64K = 65536; also KiB/MiB/GiB/TiB) or kB/MB/GB/TB (decimal); a whole
 * number of bytes up to PARSE_SIZE_MAX.
 */
int parse_size(const char *s, uint64_t *out);
/*
 * A rate in bits per second: digits with k/K/M/G/T (decimal, as iperf3
 * -b: 100M = 1e8) and an optional "bit", "bps" or "bit/s" suffix; up
 * to PARSE_RATE_MAX.
 */
int parse_rate(const char *s, double *out);
/* A duration in seconds: "5", "5s", "250ms", "100us", "2m", "1h"; up to PARSE_DURATION_MAX. */
int parse_duration(const char *s, double *out);
/* A signed percentage: "+5%", "-3%", "5%". Stores 0.05, -0.03, 0.05. */
int parse_percent(const char *s, double *out);
/* true/false, yes/no, on/off, 1/0. */
int parse_bool(const char *s, int *out);

/*
 * Split a command line into words the way a user writes it in a config
 * file: whitespace separates, single and double quotes group, backslash
 * escapes one character outside single quotes. No expansion of any
 * kind happens: the words become an argv array, never a shell line.
 * Returns the number of words (argv NULL-terminated, caller frees with
 * argv_free) or -1 on an unterminated quote.
 */
int split_words(const char *s, char ***argv_out);
void argv_free(char **argv);
int argv_len(char *const *argv);
char **argv_dup(char *const *argv);

/* Format a byte count or bit rate for humans: "1.50 GiB", "9.41 Gbit/s". */
const char *fmt_bytes(double bytes, char *buf, int len);
const char *fmt_rate(double bps, char *buf, int len);

#endif

#include "common/parse.h"
#include "common/util.h"
#include "common/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct unit {
	const char *name;
	double mult;
};

/* The length of a decimal number at s: [+-]digits[.digits][e[+-]digits]. */
static size_t decimal_len(const char *s)
{
	const char *p = s;
	size_t digits = 0;

	if (*p == '+' || *p == '-')
		p++;
	for (; isdigit((unsigned char)*p); p++)
		digits++;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			digits++;
	if (!digits)
		return 0;
	if (*p == 'e' || *p == 'E') {
		const char *e = p + 1;

		if (*e == '+' || *e == '-')
			e++;
		if (isdigit((unsigned char)*e)) {
			while (isdigit((unsigned char)*e))
				e++;
			p = e;
		}
	}
	return (size_t)(p - s);
}

/*
 * A finite decimal number (never hex, inf or nan, which strtod would
 * take) after optional blanks; *end points past it. With unsigned_only,
 * no sign at all ("-0" is not a size).
 */
static int parse_number(const char *s, int unsigned_only, double *out, const char **end)
{
	char *e;
	size_t len;
	double v;

	while (isspace((unsigned char)*s))
		s++;
	if (unsigned_only && (*s == '-' || *s == '+'))
		return -1;
	len = decimal_len(s);
	if (!len)
		return -1;
	errno = 0;
	v = strtod(s, &e);
	if (e != s + len || errno || !isfinite(v))
		return -1;
	*out = v;
	*end = e;
	return 0;
}

/* Match the rest of s (trailing blanks allowed) against a unit table. */
static int match_unit(const char *rest, const struct unit *units, size_t n,
		      double *mult)
{
	size_t len;

	while (isspace((unsigned char)*rest))
		rest++;
	len = strlen(rest);
	while (len && isspace((unsigned char)rest[len - 1]))
		len--;
	for (size_t i = 0; i < n; i++) {
		if (strlen(units[i].name) == len && !strncmp(rest, units[i].name, len)) {
			*mult = units[i].mult;
			return 0;
		}
	}
	return -1;
}

int parse_double(const char *s, double *out)
{
	const char *rest;
	double v;

	if (parse_number(s, 0, &v, &rest) || *rest)
		return -1;
	*out = v;
	return 0;
}

int parse_long(const char *s, long min, long max, long *out)
{
	char *e;
	long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &e, 10);
	if (errno || e == s || *e || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	static const struct unit units[] = {
		{ "", 1 }, { "B", 1 },
		{ "K", 1024.0 }, { "k", 1024.0 }, { "KiB", 1024.0 },
		{ "M", 1048576.0 }, { "MiB", 1048576.0 },
		{ "G", 1073741824.0 }, { "GiB", 1073741824.0 },
		{ "T", 1099511627776.0 }, { "TiB", 1099511627776.0 },
		{ "kB", 1e3 }, { "KB", 1e3 }, { "MB", 1e6 }, { "GB", 1e9 },
		{ "TB", 1e12 },
	};
	const char *rest;
	double v, mult;

	if (parse_number(s, 1, &v, &rest))
		return -1;
	if (match_unit(rest, units, ARRAY_SIZE(units), &mult))
		return -1;
	v *= mult;
	if (v != floor(v) || v > PARSE_SIZE_MAX)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* A non-negative number with one of the units, scaled, at most max. */
static int parse_scaled(const char *s, const struct unit *units, size_t n, double max,
			double *out)
{
	const char *rest;
	double v, mult;

	if (parse_number(s, 1, &v, &rest))
		return -1;
	if (match_unit(rest, units, n, &mult) || !(v * mult <= max))
		return -1;
	*out = v * mult;
	return 0;
}

int parse_rate(const char *s, double *out)
{
	static const struct unit units[] = {
		{ "", 1 }, { "bit", 1 }, { "bps", 1 }, { "bit/s", 1 },
		{ "k", 1e3 }, { "K", 1e3 }, { "kbit", 1e3 }, { "Kbit", 1e3 },
		{ "kbps", 1e3 }, { "Kbps", 1e3 }, { "kbit/s", 1e3 }, { "Kbit/s", 1e3 },
		{ "M", 1e6 }, { "Mbit", 1e6 }, { "mbit", 1e6 }, { "Mbps", 1e6 },
		{ "Mbit/s", 1e6 },
		{ "G", 1e9 }, { "Gbit", 1e9 }, { "gbit", 1e9 }, { "Gbps", 1e9 },
		{ "Gbit/s", 1e9 },
		{ "T", 1e12 }, { "Tbit", 1e12 }, { "Tbps", 1e12 }, { "Tbit/s", 1e12 },
	};

	return parse_scaled(s, units, ARRAY_SIZE(units), PARSE_RATE_MAX, out);
}

int parse_duration(const char *s, double *out)
{
	static const struct unit units[] = {
		{ "", 1 }, { "s", 1 }, { "sec", 1 }, { "ms", 1e-3 }, { "us", 1e-6 },
		{ "m", 60 }, { "min", 60 }, { "h", 3600 },
	};

	return parse_scaled(s, units, ARRAY_SIZE(units), PARSE_DURATION_MAX, out);
}

int parse_percent(const char *s, double *out)
{
	static const struct unit units[] = { { "%", 0.01 } };
	const char *rest;
	double v, mult;

	if (parse_number(s, 0, &v, &rest))
		return -1;
	if (match_unit(rest, units, ARRAY_SIZE(units), &mult))
		return -1;
	*out = v * mult;
	return 0;
}

int parse_bool(const char *s, int *out)
{
	static const char *yes[] = { "true", "yes", "on", "1" };
	static const char *no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static void push_word(char ***argv, int *n, size_t *alloc, struct strbuf *w)
{
	ALLOC_GROW(*argv, (size_t)*n + 2, *alloc);
	(*argv)[(*n)++] = strbuf_detach(w, NULL);
	(*argv)[*n] = NULL;
}

int split_words(const char *s, char ***argv_out)
{
	struct strbuf w = STRBUF_INIT;
	char **argv = NULL;
	size_t alloc = 0;
	int n = 0, in_word = 0;
	char quote = 0;

	ALLOC_GROW(argv, 1, alloc);
	argv[0] = NULL;
	for (const char *p = s; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			else if (quote == '"' && *p == '\\' && p[1])
				strbuf_addch(&w, *++p);
			else
				strbuf_addch(&w, *p);
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
			in_word = 1;
		} else if (*p == '\\' && p[1]) {
			strbuf_addch(&w, *++p);
			in_word = 1;
		} else if (isspace((unsigned char)*p)) {
			if (in_word)
				push_word(&argv, &n, &alloc, &w);
			in_word = 0;
		} else {
			strbuf_addch(&w, *p);
			in_word = 1;
		}
	}
	if (quote) {
		strbuf_release(&w);
		argv_free(argv);
		return -1;
	}
	if (in_word)
		push_word(&argv, &n, &alloc, &w);
	strbuf_release(&w);
	*argv_out = argv;
	return n;
}

void argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

int argv_len(char *const *argv)
{
	int n = 0;

	while (argv && argv[n])
		n++;
	return n;
}

char **argv_dup(char *const *argv)
{
	int n = argv_len(argv);
	char **res = xcalloc((size_t)n + 1, sizeof(*res));

	for (int i = 0; i < n; i++)
		res[i] = xstrdup(argv[i]);
	return res;
}

const char *fmt_bytes(double bytes, char *buf, int len)
{
	static const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t i = 0;

	while (bytes >= 1024 && i + 1 < ARRAY_SIZE(u)) {
		bytes /= 1024;
		i++;
	}
	snprintf(buf, (size_t)len, i ? "%.2f %s" : "%.0f %s", bytes, u[i]);
	return buf;
}

const char *fmt_rate(double bps, char *buf, int len)
{
	static const char *u[] = { "bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s" };
	size_t i = 0;

	if (isnan(bps)) {
		snprintf(buf, (size_t)len, "-");
		return buf;
	}
	while (bps >= 1000 && i + 1 < ARRAY_SIZE(u)) {
		bps /= 1000;
		i++;
	}
	snprintf(buf, (size_t)len, "%.2f %s", bps, u[i]);
	return buf;
}

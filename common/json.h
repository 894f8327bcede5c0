#ifndef COMMON_JSON_H
#define COMMON_JSON_H

#include <stdio.h>
#include <jansson.h>

/*
 * JSON helpers over jansson. Numbers that could not be measured are
 * NaN in C and null in JSON, never 0: json_num() does the mapping.
 */

/* A real, or null for NaN/inf. New reference. */
json_t *json_num(double v);
/* An integer. New reference. */
json_t *json_int(long long v);
/* A count (events, bytes): an integer, rounded, or null for NaN/inf. New reference. */
json_t *json_count(double v);
/* A string, or null for NULL. New reference. */
json_t *json_str(const char *s);
/* obj[key] = json_num(v), steals nothing the caller holds. */
void json_set_num(json_t *obj, const char *key, double v);
void json_set_int(json_t *obj, const char *key, long long v);
void json_set_str(json_t *obj, const char *key, const char *s);
/* obj[key] = v, stealing the reference to v. */
void json_set(json_t *obj, const char *key, json_t *v);

/*
 * Look up a dotted path ("summary.goodput_bps") and return the number,
 * or NaN when it is missing, null or not a number.
 */
double json_get_num(const json_t *obj, const char *path);
/*
 * The whole number at path within [lo, hi] into *out: 0, or -1 (*out
 * untouched) when it is missing, not a number, fractional or out of
 * range. Compared before any conversion: a file's 1e300, 2^63 or NaN
 * never reaches a cast to an integer (undefined behaviour).
 */
int json_get_long(const json_t *obj, const char *path, long lo, long hi, long *out);
/* Same for strings: NULL when missing; the storage belongs to obj. */
const char *json_get_str(const json_t *obj, const char *path);
const json_t *json_get(const json_t *obj, const char *path);

/* Is v an array of strings only (a list of names)? */
int json_is_string_list(const json_t *v);

/* Serialize compactly with sorted keys; the caller frees the string. */
char *json_dump_compact(const json_t *v);
/* Serialize indented for humans; the caller frees the string. */
char *json_dump_pretty(const json_t *v);
/*
 * Write a JSON document atomically (see write_file_atomic), indented.
 * With noreplace, an existing file is an error and is left alone.
 */
int json_write_file(const char *path, const json_t *v, int noreplace);
/* Load a JSON document; errors name the file, line and column. */
json_t *json_load_path(const char *path);

/*
 * A JSON-lines (NDJSON) writer: one compact object per line, flushed
 * line by line so a crash loses at most the line being written. The file
 * is created exclusively: an existing file is never overwritten.
 */
struct ndjson {
	FILE *f;
	char *path;	/* owned */
	unsigned long lines; /* lines written */
};
int ndjson_open(struct ndjson *out, const char *path);
/* Write one object as a line. Does not steal v. */
int ndjson_write(struct ndjson *w, const json_t *v);
/* fsync and close; safe on a writer that never opened. */
int ndjson_close(struct ndjson *w);

/*
 * Read a JSON-lines file, calling fn for each object with its line
 * number. A line that is not a JSON object is an error naming the
 * file and line; fn returning non-zero stops the walk with that value.
 */
typedef int (*ndjson_fn)(const json_t *obj, unsigned long lineno, void *data);
int ndjson_for_each(const char *path, ndjson_fn fn, void *data);

#endif

#include "common/json.h"
#include "common/util.h"
#include "common/fsutil.h"
#include "common/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

json_t *json_num(double v)
{
	if (!isfinite(v))
		return json_null();
	return json_real(v);
}

json_t *json_count(double v)
{
	if (!isfinite(v))
		return json_null();
	return json_integer((json_int_t)llround(v));
}

json_t *json_int(long long v)
{
	return json_integer(v);
}

json_t *json_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

void json_set(json_t *obj, const char *key, json_t *v)
{
	if (!v)
		v = json_null();
	json_object_set_new(obj, key, v);
}

void json_set_num(json_t *obj, const char *key, double v)
{
	json_set(obj, key, json_num(v));
}

void json_set_int(json_t *obj, const char *key, long long v)
{
	json_set(obj, key, json_int(v));
}

void json_set_str(json_t *obj, const char *key, const char *s)
{
	/* json_string() rejects invalid UTF-8: keep what is ASCII. */
	json_t *v = json_str(s);

	if (!v) {
		char *copy = xstrdup(s);

		for (char *p = copy; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		v = json_string(copy);
		free(copy);
	}
	json_set(obj, key, v);
}

const json_t *json_get(const json_t *obj, const char *path)
{
	const char *p = path;

	while (obj && *p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		char key[128];

		if (!json_is_object(obj) || len >= sizeof(key))
			return NULL;
		memcpy(key, p, len);
		key[len] = '\0';
		obj = json_object_get(obj, key);
		p += len + (dot ? 1 : 0);
	}
	return obj;
}

double json_get_num(const json_t *obj, const char *path)
{
	const json_t *v = json_get(obj, path);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

int json_get_long(const json_t *obj, const char *path, long lo, long hi, long *out)
{
	const json_t *v = json_get(obj, path);
	double d;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < lo || i > hi)
			return -1;
		*out = (long)i;
		return 0;
	}
	if (!json_is_real(v))
		return -1;
	d = json_real_value(v);
	/* (double)LONG_MAX rounds up to 2^63, which no long holds */
	if (!(d >= (double)lo && d <= (double)hi && d < 0x1p63) || d != floor(d))
		return -1;
	*out = (long)d;
	return 0;
}

const char *json_get_str(const json_t *obj, const char *path)
{
	const json_t *v = json_get(obj, path);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int json_is_string_list(const json_t *v)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return 0;
	json_array_foreach(v, i, e)
		if (!json_is_string(e))
			return 0;
	return 1;
}

char *json_dump_compact(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));

	if (!s)
		die("out of memory serializing JSON");
	return s;
}

char *json_dump_pretty(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));

	if (!s)
		die("out of memory serializing JSON");
	return s;
}

int json_write_file(const char *path, const json_t *v, int noreplace)
{
	char *s = json_dump_pretty(v);
	struct strbuf sb = STRBUF_INIT;
	int ret;

	strbuf_addstr(&sb, s);
	strbuf_addch(&sb, '\n');
	ret = write_file_atomic(path, sb.buf, sb.len, noreplace);
	strbuf_release(&sb);
	free(s);
	return ret;
}

json_t *json_load_path(const char *path)
{
	json_error_t err;
	json_t *v = json_load_file(path, JSON_REJECT_DUPLICATES, &err);

	if (!v)
		error("%s:%d:%d: %s", path, err.line, err.column, err.text);
	return v;
}

int ndjson_open(struct ndjson *out, const char *path)
{
	struct stat st;
	/* a results file is new; a device or a pipe (/dev/null) is fine */
	int special = !stat(path, &st) && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
	int fd = open(path, O_WRONLY | O_CLOEXEC | (special ? 0 : O_CREAT | O_EXCL), 0644);

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return error_errno("cannot create '%s'", path);
	out->f = fdopen(fd, "w");
	if (!out->f) {
		close(fd);
		return error_errno("cannot open '%s'", path);
	}
	out->path = xstrdup(path);
	return 0;
}

int ndjson_write(struct ndjson *w, const json_t *v)
{
	char *s = json_dump_compact(v);
	int ret = 0;

	if (fputs(s, w->f) == EOF || fputc('\n', w->f) == EOF || fflush(w->f))
		ret = error_errno("cannot write '%s'", w->path);
	else
		w->lines++;
	free(s);
	return ret;
}

int ndjson_close(struct ndjson *w)
{
	int ret = 0;

	if (!w->f)
		return 0;
	if (fflush(w->f) || (fsync(fileno(w->f)) && errno != EINVAL && errno != EROFS))
		ret = error_errno("cannot write '%s'", w->path);
	if (fclose(w->f) && !ret)
		ret = error_errno("cannot close '%s'", w->path);
	free(w->path);
	memset(w, 0, sizeof(*w));
	return ret;
}

int ndjson_for_each(const char *path, ndjson_fn fn, void *data)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t alloc = 0;
	unsigned long lineno = 0;
	ssize_t n;
	int ret = 0;

	if (!f)
		return error_errno("cannot open '%s'", path);
	while (!ret && (n = getline(&line, &alloc, f)) >= 0) {
		json_error_t err;
		json_t *v;

		lineno++;
		if (n == 0 || (n == 1 && line[0] == '\n'))
			continue;
		v = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &err);
		if (!v || !json_is_object(v)) {
			ret = error("%s:%lu: not a JSON object: %s", path, lineno,
				    v ? "wrong type" : err.text);
			json_decref(v);
			break;
		}
		ret = fn(v, lineno, data);
		json_decref(v);
	}
	free(line);
	fclose(f);
	return ret;
}

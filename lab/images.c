#include "lab/images.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/parse.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const status_names[] = { "ok", "failed" };

static int is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return 0;
	return i == n;
}

int image_key_ok(const char *s)
{
	return s && is_hex(s, IMAGE_KEY_HEX);
}

/* A git object id: SHA-1 (40) or SHA-256 (64) hex digits. */
static int oid_ok(const char *s)
{
	return is_hex(s, 40) || is_hex(s, 64);
}

char *image_entry_dir(const char *images, const char *key)
{
	return xasprintf("%s/%s", images, key);
}

#define UTC_MAX_S 1.8e10	/* seconds: 1.8e19 ns, below 2^64 */

int parse_time_utc(const char *s, double *out)
{
	struct tm tm;
	const char *p;
	double frac = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.') {
		const char *digits = p + 1;
		char *end;

		if (!(p[1] >= '0' && p[1] <= '9'))
			return -1;
		while (*digits >= '0' && *digits <= '9')
			digits++;
		frac = strtod(p, &end);
		if (end != digits)
			return -1;	/* ".5e300": digits only */
		p = end;
	}
	if (strcmp(p, "Z"))
		return -1;
	t = timegm(&tm);
	/* from the epoch to what 64-bit nanoseconds hold (year 2554) */
	if (t == (time_t)-1 || t < 0 || (double)t + frac >= UTC_MAX_S)
		return -1;
	*out = (double)t + frac;
	return 0;
}

static void fmt_epoch(double t, char *buf, int len)
{
	fmt_time_utc((uint64_t)(t * 1e9), buf, len);
}

/* Field readers: -1 (reported, naming the file and key) on a bad value. */
static int bad_field(const char *name, const char *key, const char *want)
{
	return error("%s: '%s' %s", name, key, want);
}

static int get_str(const json_t *o, const char *name, const char *key, char **out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		return bad_field(name, key, v ? "is not a string" : "is missing");
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int get_strv(const json_t *o, const char *name, const char *key, char ***out)
{
	const json_t *v = json_object_get(o, key);
	size_t i, n;

	if (!json_is_array(v))
		return bad_field(name, key, v ? "is not an array" : "is missing");
	n = json_array_size(v);
	*out = xcalloc(n + 1, sizeof(**out));
	for (i = 0; i < n; i++) {
		const json_t *w = json_array_get(v, i);

		if (!json_is_string(w))
			return bad_field(name, key, "holds something other than strings");
		(*out)[i] = xstrdup(json_string_value(w));
	}
	return 0;
}

static int get_time(const json_t *o, const char *name, const char *key, double *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || parse_time_utc(json_string_value(v), out))
		return bad_field(name, key, "is not a UTC time (2026-11-23T17:02:03.123Z)");
	return 0;
}

static int get_int(const json_t *o, const char *name, const char *key, long long lo,
		   long long hi, long long *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return bad_field(name, key, "is not an integer in range");
	*out = json_integer_value(v);
	return 0;
}

static int get_status(const json_t *o, const char *name, int *out)
{
	const char *s = json_string_value(json_object_get(o, "status"));

	for (int i = 0; s && i < (int)ARRAY_SIZE(status_names); i++)
		if (!strcmp(s, status_names[i])) {
			*out = i;
			return 0;
		}
	return bad_field(name, "status", "is neither \"ok\" nor \"failed\"");
}

/* The optional numbers: null (or absent) stands for "not known". */
static int get_optionals(const json_t *o, const char *name, struct image_meta *m)
{
	const json_t *b = json_object_get(o, "build_s"), *e = json_object_get(o, "exit_code");

	m->build_s = NAN;
	m->exit_code = -1;
	if (b && !json_is_null(b) && (!json_is_number(b) || json_number_value(b) < 0))
		return bad_field(name, "build_s", "is not a number of seconds");
	if (json_is_number(b))
		m->build_s = json_number_value(b);
	if (e && !json_is_null(e) && (!json_is_integer(e) || json_integer_value(e) < 0 ||
				       json_integer_value(e) > 255))
		return bad_field(name, "exit_code", "is not an exit code (0-255)");
	if (json_is_integer(e))
		m->exit_code = (int)json_integer_value(e);
	return 0;
}

static int check_ids(const struct image_meta *m, const char *name)
{
	if (!image_key_ok(m->key))
		return bad_field(name, "key", "is not 64 lowercase hex digits");
	if (!oid_ok(m->commit))
		return bad_field(name, "commit", "is not a hex object id");
	if (!oid_ok(m->tree))
		return bad_field(name, "tree", "is not a hex object id");
	if (!*m->log || strchr(m->log, '/') || !strcmp(m->log, "..") || !strcmp(m->log, "."))
		return bad_field(name, "log", "is not a file name inside the entry");
	return 0;
}

static int meta_from_json(struct image_meta *m, const json_t *o, const char *name)
{
	long long version, size;

	if (!json_is_object(o))
		return error("%s: not a JSON object", name);
	if (get_int(o, name, "version", 1, 1000000, &version))
		return -1;
	if (version != IMAGE_META_VERSION)
		return error("%s: version %lld; this perflab reads version %d", name, version,
			     IMAGE_META_VERSION);
	if (get_str(o, name, "key", &m->key) || get_status(o, name, &m->status) ||
	    get_str(o, name, "repo", &m->repo) || get_str(o, name, "commit", &m->commit) ||
	    get_str(o, name, "tree", &m->tree) || get_str(o, name, "subject", &m->subject) ||
	    get_strv(o, name, "build_argv", &m->argv) || get_strv(o, name, "env", &m->env) ||
	    get_str(o, name, "artifact", &m->artifact) ||
	    get_str(o, name, "toolchain", &m->toolchain) ||
	    get_int(o, name, "size_bytes", 0, INT64_MAX, &size) ||
	    get_time(o, name, "created", &m->created) ||
	    get_time(o, name, "last_used", &m->last_used) || get_optionals(o, name, m) ||
	    get_str(o, name, "reason", &m->reason) || get_str(o, name, "log_tail", &m->log_tail) ||
	    get_str(o, name, "log", &m->log))
		return -1;
	m->size = (uint64_t)size;
	return check_ids(m, name);
}

int image_meta_parse(struct image_meta *out, const char *buf, size_t len, const char *name)
{
	json_error_t jerr;
	json_t *o;
	int ret;

	memset(out, 0, sizeof(*out));
	if (len > IMAGE_META_MAX)
		return error("%s: larger than %d bytes; not an image's meta.json", name,
			     IMAGE_META_MAX);
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return error("%s:%d:%d: %s", name, jerr.line, jerr.column, jerr.text);
	ret = meta_from_json(out, o, name);
	json_decref(o);
	if (ret)
		image_meta_release(out);
	return ret;
}

static json_t *strv_json(char *const *v)
{
	json_t *a = json_array();

	for (int i = 0; v && v[i]; i++)
		json_array_append_new(a, json_str(v[i]));
	return a;
}

json_t *image_meta_json(const struct image_meta *m)
{
	json_t *o = json_object();
	char t[40];

	json_set_int(o, "version", IMAGE_META_VERSION);
	json_set_str(o, "key", m->key);
	json_set_str(o, "status", status_names[m->status]);
	json_set_str(o, "repo", m->repo);
	json_set_str(o, "commit", m->commit);
	json_set_str(o, "tree", m->tree);
	json_set_str(o, "subject", m->subject);
	json_set(o, "build_argv", strv_json(m->argv));
	json_set(o, "env", strv_json(m->env));
	json_set_str(o, "artifact", m->artifact);
	json_set_str(o, "toolchain", m->toolchain);
	json_set_int(o, "size_bytes", (long long)m->size);
	fmt_epoch(m->created, t, sizeof(t));
	json_set_str(o, "created", t);
	fmt_epoch(m->last_used, t, sizeof(t));
	json_set_str(o, "last_used", t);
	json_set_num(o, "build_s", m->build_s);
	json_set(o, "exit_code", m->exit_code < 0 ? json_null() : json_int(m->exit_code));
	json_set_str(o, "reason", m->reason ? m->reason : "");
	json_set_str(o, "log_tail", m->log_tail ? m->log_tail : "");
	json_set_str(o, "log", m->log);
	return o;
}

int image_meta_load(struct image_meta *out, const char *entry)
{
	char *path = xasprintf("%s/meta.json", entry);
	size_t len;
	char *buf = read_file(path, IMAGE_META_MAX + 1, &len);
	int ret;

	memset(out, 0, sizeof(*out));
	if (!buf)
		ret = errno == EFBIG ? error("%s: larger than %d bytes; not an image's meta.json",
					     path, IMAGE_META_MAX)
				     : error_errno("cannot read '%s'", path);
	else
		ret = image_meta_parse(out, buf, len, path);
	free(buf);
	free(path);
	return ret;
}

int image_meta_save(const struct image_meta *m, const char *entry)
{
	char *path = xasprintf("%s/meta.json", entry);
	json_t *o = image_meta_json(m);
	int ret = json_write_file(path, o, 0);

	json_decref(o);
	free(path);
	return ret;
}

void image_meta_release(struct image_meta *m)
{
	free(m->key);
	free(m->repo);
	free(m->commit);
	free(m->tree);
	free(m->subject);
	argv_free(m->argv);
	argv_free(m->env);
	free(m->artifact);
	free(m->toolchain);
	free(m->reason);
	free(m->log_tail);
	free(m->log);
	memset(m, 0, sizeof(*m));
}

/*
 * flock the file at path. Someone may remove the file while we wait
 * (prune does, holding the lock); a lock on a removed file guards
 * nothing, so check it is still the file at path and retry if not.
 */
int lock_file(int *fd_out, const char *path, int how)
{
	int op = (how & IMAGE_LOCK_EX ? LOCK_EX : LOCK_SH) | (how & IMAGE_LOCK_NB ? LOCK_NB : 0);

	*fd_out = -1;
	for (;;) {
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		struct stat a, b;

		if (fd < 0)
			return error_errno("cannot open lock '%s'", path);
		if (flock(fd, op)) {
			int busy = errno == EWOULDBLOCK;

			if (!busy)
				error_errno("cannot lock '%s'", path);
			close(fd);
			return busy ? 1 : -1;
		}
		if (!fstat(fd, &a) && !stat(path, &b) && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev) {
			*fd_out = fd;
			return 0;
		}
		close(fd);
	}
}

int image_lock(int *fd_out, const char *images, const char *key, int how)
{
	char *path = xasprintf("%s/%s.lock", images, key);
	int ret;

	*fd_out = -1;
	ret = mkdir_p(images) ? -1 : lock_file(fd_out, path, how);
	free(path);
	return ret;
}

void image_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

static uint64_t du_total;

static int du_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_F || flag == FTW_SL)
		du_total += (uint64_t)st->st_size;
	return 0;
}

uint64_t disk_usage(const char *path)
{
	du_total = 0;
	nftw(path, du_one, 16, FTW_PHYS);
	return du_total;
}

static int by_last_use(const void *a, const void *b)
{
	const struct image_entry *x = a, *y = b;

	if (x->meta.last_used != y->meta.last_used)
		return x->meta.last_used < y->meta.last_used ? 1 : -1;
	return strcmp(x->meta.key, y->meta.key);
}

static void list_add(struct image_list *l, const char *images, const char *name)
{
	char *dir = image_entry_dir(images, name);
	struct image_entry *e;
	struct image_meta m;

	if (image_meta_load(&m, dir)) {
		warning("skipping cache entry '%s': its meta.json cannot be read", dir);
		free(dir);
		return;
	}
	ALLOC_GROW(l->v, l->nr + 1, l->alloc);
	e = &l->v[l->nr++];
	e->dir = dir;
	e->meta = m;
	e->disk_bytes = disk_usage(dir);
}

int images_list(struct image_list *out, const char *images)
{
	DIR *d = opendir(images);
	struct dirent *de;

	memset(out, 0, sizeof(*out));
	if (!d)
		return errno == ENOENT ? 0 : error_errno("cannot read '%s'", images);
	while ((de = readdir(d)))
		if (image_key_ok(de->d_name))
			list_add(out, images, de->d_name);
	closedir(d);
	if (out->nr)
		qsort(out->v, out->nr, sizeof(*out->v), by_last_use);
	return 0;
}

void image_list_release(struct image_list *l)
{
	for (size_t i = 0; i < l->nr; i++) {
		image_meta_release(&l->v[i].meta);
		free(l->v[i].dir);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int prune_wanted(const struct image_entry *e, size_t rank, const struct prune_opts *o)
{
	if (o->keep >= 0 && rank >= (size_t)o->keep)
		return 1;
	if (!isnan(o->older_than) && o->now - e->meta.last_used > o->older_than)
		return 1;
	return o->failed && e->meta.status == IMAGE_FAILED;
}

/* Remove an entry and its lock file while holding the lock. */
static int remove_entry(const char *images, const struct image_entry *e)
{
	char *lock = xasprintf("%s/%s.lock", images, e->meta.key);
	int ret = remove_tree(e->dir);

	if (!ret)
		unlink(lock);
	free(lock);
	return ret;
}

static int prune_one(struct prune_result *out, const char *images, const struct image_entry *e,
		     const struct prune_opts *o, prune_fn fn, void *data)
{
	int fd, r = image_lock(&fd, images, e->meta.key, IMAGE_LOCK_EX | IMAGE_LOCK_NB);

	if (r < 0)
		return -1;
	if (r == 1) {
		out->busy++;
		out->kept++;
		if (fn)
			fn(e, 1, data);
		return 0;
	}
	if (!o->dry_run && remove_entry(images, e)) {
		image_unlock(fd);
		return -1;
	}
	image_unlock(fd);
	out->removed++;
	out->bytes += e->disk_bytes;
	if (fn)
		fn(e, 0, data);
	return 0;
}

/* .tmp-KEY.PID left by a build that died: nobody holds KEY's lock. */
static void prune_stale(struct prune_result *out, const char *images, const char *name,
			int dry_run)
{
	char key[IMAGE_KEY_HEX + 1], *dir;
	int fd;

	if (strncmp(name, ".tmp-", 5) || strlen(name) < 5 + IMAGE_KEY_HEX + 2 ||
	    name[5 + IMAGE_KEY_HEX] != '.')
		return;
	memcpy(key, name + 5, IMAGE_KEY_HEX);
	key[IMAGE_KEY_HEX] = '\0';
	if (!image_key_ok(key) || image_lock(&fd, images, key, IMAGE_LOCK_EX | IMAGE_LOCK_NB))
		return;
	dir = xasprintf("%s/%s", images, name);
	out->bytes += disk_usage(dir);
	if (dry_run || !remove_tree(dir))
		out->stale++;
	free(dir);
	image_unlock(fd);
}

static void prune_all_stale(struct prune_result *out, const char *images, int dry_run)
{
	DIR *d = opendir(images);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		prune_stale(out, images, de->d_name, dry_run);
	closedir(d);
}

int images_prune(struct prune_result *out, const char *images, const struct prune_opts *o,
		 prune_fn fn, void *data)
{
	struct image_list l;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (images_list(&l, images))
		return -1;
	for (size_t i = 0; i < l.nr && !ret; i++) {
		if (prune_wanted(&l.v[i], i, o))
			ret = prune_one(out, images, &l.v[i], o, fn, data);
		else
			out->kept++;
	}
	image_list_release(&l);
	if (!ret)
		prune_all_stale(out, images, o->dry_run);
	return ret;
}

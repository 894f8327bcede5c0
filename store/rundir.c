/*
 * The one reader of a run directory (see rundir.h).
 */
#include "store/rundir.h"
#include "store/metric.h"
#include "collectors/fingerprint.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * Load a JSON file of at most HISTORY_MAX_FILE bytes. Missing is
 * PERFLAB_ENOTFOUND (quietly); anything else wrong is -1 with the
 * message in err, naming the file (and line and column).
 */
static int load_json(json_t **out, const char *path, struct strbuf *err)
{
	json_error_t jerr;
	size_t len;
	char *text;

	*out = NULL;
	text = read_file(path, HISTORY_MAX_FILE, &len);
	if (!text && errno == ENOENT)
		return PERFLAB_ENOTFOUND;
	if (!text) {
		strbuf_addf(err, "cannot read '%s': %s", path,
			    errno == EFBIG ? "larger than 16 MiB" : strerror(errno));
		return -1;
	}
	*out = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	free(text);
	if (!*out) {
		strbuf_addf(err, "'%s' is not JSON: line %d, column %d: %s", path, jerr.line,
			    jerr.column, jerr.text);
		return -1;
	}
	return 0;
}

/* A file that must be there, or, with optional, may be missing. */
static int load_required(json_t **out, const char *path, int optional)
{
	struct strbuf err = STRBUF_INIT;
	int ret = load_json(out, path, &err);

	if (ret == PERFLAB_ENOTFOUND)
		ret = optional ? 0 : error("'%s' is missing", path);
	else if (ret)
		error("%s", err.buf);
	strbuf_release(&err);
	return ret;
}

/*
 * The fingerprint and its hash. A run without one is still a run, so a
 * damaged fingerprint.json is a warning and no fingerprint.
 */
static void read_fingerprint(struct run_dir *r)
{
	char *path = xasprintf("%s/%s", r->path, FINGERPRINT_FILE);
	struct strbuf err = STRBUF_INIT;
	char hex[SHA256_HEX];
	json_t *fp;
	int ret = load_json(&fp, path, &err);

	if (!ret && json_is_object(fp)) {
		fingerprint_hash(fp, hex);
		r->meta.fingerprint = xstrdup(hex);
		r->fingerprint = fp;
		fp = NULL;
	} else if (ret != PERFLAB_ENOTFOUND) {
		warning("%s; run '%s' is read without a fingerprint",
			ret ? err.buf : "a fingerprint is a JSON object", r->meta.run_id);
	}
	json_decref(fp);
	strbuf_release(&err);
	free(path);
}

static int is_complete(const json_t *run)
{
	const char *status = json_is_object(run) ? json_get_str(run, "status") : NULL;

	return status && !strcmp(status, "complete");
}

/* tags.json (history_tag_run) overrides what run.json says. */
static int read_tags(struct run_dir *r)
{
	char *path = xasprintf("%s/%s", r->path, HISTORY_TAGS);
	json_t *tags = NULL;
	int ret = load_required(&tags, path, 1);

	if (!ret && tags)
		ret = history_run_apply_tags(&r->meta, tags, path);
	json_decref(tags);
	free(path);
	return ret;
}

int run_dir_read(struct run_dir *out, const char *path)
{
	char *rpath = xasprintf("%s/run.json", path), *spath = xasprintf("%s/summary.json", path);
	struct strbuf err = STRBUF_INIT;
	int ret;

	memset(out, 0, sizeof(*out));
	out->meta.started_s = out->meta.finished_s = NAN;
	out->path = xstrdup(path);
	ret = load_json(&out->run, rpath, &err);
	if (ret && ret != PERFLAB_ENOTFOUND)
		error("%s", err.buf);
	if (!ret && is_complete(out->run))
		ret = load_required(&out->summary, spath, 0);
	if (!ret)
		ret = history_run_parse(&out->meta, out->run, rpath, out->summary, spath);
	if (!ret) {
		const char *base = strrchr(path, '/');

		out->meta.dir = xstrdup(base && base[1] ? base + 1 : path);
		ret = read_tags(out);
	}
	if (!ret)
		read_fingerprint(out);
	strbuf_release(&err);
	free(rpath);
	free(spath);
	return ret;
}

void run_dir_release(struct run_dir *r)
{
	free(r->path);
	history_run_release(&r->meta);
	json_decref(r->run);
	json_decref(r->summary);
	json_decref(r->fingerprint);
	memset(r, 0, sizeof(*r));
}

int run_dir_complete(const struct run_dir *r)
{
	return r->summary && r->meta.status && !strcmp(r->meta.status, "complete");
}

double run_dir_value(const struct run_dir *r, const struct metric_def *m)
{
	return run_dir_complete(r) ? metric_value(r->summary, m) : NAN;
}

double run_dir_metric(const char *path, const struct metric_def *m)
{
	struct run_dir r;
	double v = NAN;

	if (path && !run_dir_read(&r, path))
		v = run_dir_value(&r, m);
	if (path)
		run_dir_release(&r);
	return v > 0 && isfinite(v) ? v : NAN;
}

unsigned (*run_dir_random)(void);

static unsigned urandom_bits(void)
{
	unsigned rnd;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &rnd, sizeof(rnd)) != sizeof(rnd))
		rnd = (unsigned)getpid() ^ (unsigned)time(NULL) ^ (unsigned)clock();
	if (fd >= 0)
		close(fd);
	return rnd;
}

static char *new_run_id(const char *name, int first)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	unsigned rnd = run_dir_random && first ? run_dir_random() : urandom_bits();

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	return xasprintf("%s-%s-%04x", stamp, name, rnd & 0xffff);
}

int run_dir_create(const char *results, const char *name, char **id_out, char **tmp_out)
{
	if (mkdir_p(results))
		return -1;
	for (int tries = 0; tries < 100; tries++) {
		char *id = new_run_id(name, !tries), *tmp = xasprintf("%s/.tmp-%s", results, id);
		char *final = xasprintf("%s/%s", results, id);
		int made = !mkdir(tmp, 0755), err = errno;

		/* exclusively: an existing .tmp- is another run's, even this second */
		if (made && !path_exists(final)) {
			free(final);
			*id_out = id;
			*tmp_out = tmp;
			return 0;
		}
		if (made)
			rmdir(tmp);	/* a finished run has that id: draw again */
		free(final);
		free(id);
		if (!made && err != EEXIST) {
			errno = err;
			error_errno("cannot create the run directory '%s'", tmp);
			free(tmp);
			return -1;
		}
		free(tmp);
	}
	return error("no free run id in '%s' after 100 tries", results);
}

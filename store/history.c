/*
 * The run history in SQLite: the one module holding SQLite handles.
 *
 * Every statement is constant text in the table below, prepared once
 * per connection; values are bound, never formatted into SQL. Writes
 * are IMMEDIATE transactions in WAL mode under a busy timeout, so two
 * perflab processes finishing runs into one results directory queue
 * for the write lock instead of failing, and readers never wait.
 */
#include "store/history.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

/*
 * How long a writer waits for another's transaction, ms. A rebuild of
 * thousands of runs writes for well under a second; a run's own add
 * for milliseconds.
 */
#define BUSY_TIMEOUT_MS 30000
/*
 * Past one busy timeout a writer tries again, backing off (0.1 s
 * doubling to 5 s), for this long in all: on a loaded machine with many
 * perflab processes writing at once the lock can stay taken longer than
 * one timeout, and a run must not fail to index itself for that.
 */
#define BUSY_PATIENCE_S 600.0

/*
 * The schema, one migration per version: entry i takes a database from
 * version i to i + 1, inside the transaction that records the new
 * version. A new column is one more entry, e.g.
 *   "ALTER TABLE runs ADD COLUMN boot_id TEXT;",
 * never an edit of an entry that has shipped.
 */
const char *const history_migrations[] = {
	/* 1: the index of runs and their metrics */
	"CREATE TABLE runs ("
	"  run_id TEXT PRIMARY KEY,"
	"  dir TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  failure TEXT,"
	"  job TEXT,"
	"  job_name TEXT,"
	"  label TEXT,"
	"  commit_id TEXT,"
	"  image_key TEXT,"
	"  image TEXT,"
	"  workload TEXT,"
	"  dut TEXT,"
	"  fingerprint TEXT,"
	"  started_utc TEXT,"
	"  finished_utc TEXT,"
	"  started_s REAL,"
	"  finished_s REAL,"
	"  perflab_version TEXT);"
	"CREATE TABLE metrics ("
	"  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  value REAL NOT NULL,"
	"  PRIMARY KEY (run_id, name)) WITHOUT ROWID;"
	"CREATE INDEX metrics_by_name ON metrics(name, run_id);"
	"CREATE INDEX runs_by_time ON runs(started_s, run_id);",

	/* 2: kinds and series of runs for nightly and bisect; the nightly record */
	"ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'run';"
	"ALTER TABLE runs ADD COLUMN series TEXT;"
	"CREATE INDEX runs_by_series ON runs(series, started_s);"
	"CREATE INDEX runs_by_job ON runs(job_name, started_s);"
	"CREATE INDEX runs_by_commit ON runs(commit_id);"
	"CREATE TABLE nightly ("
	"  id INTEGER PRIMARY KEY,"
	"  job TEXT NOT NULL,"
	"  job_name TEXT NOT NULL,"
	"  date TEXT NOT NULL,"
	"  commit_id TEXT NOT NULL,"
	"  verdict TEXT NOT NULL,"
	"  series TEXT,"
	"  summary TEXT,"
	"  range_good TEXT,"
	"  range_bad TEXT,"
	"  recorded_utc TEXT NOT NULL,"
	"  UNIQUE (job, date, commit_id));"
	"CREATE INDEX nightly_by_job ON nightly(job_name, date);",
};
const int history_nr_migrations = (int)ARRAY_SIZE(history_migrations);

const char *const history_verdicts[] = { "GOOD", "BAD", "INCONCLUSIVE", "SKIPPED", "FAILED",
					 NULL };

#define RUN_COLS "run_id, dir, status, failure, job, job_name, label, commit_id, image_key, " \
	"image, workload, dut, fingerprint, started_utc, finished_utc, started_s, finished_s, " \
	"perflab_version, kind, series"
#define NIGHT_COLS "job, job_name, date, commit_id, verdict, series, summary, range_good, " \
	"range_bad, recorded_utc"

enum query {
	Q_BEGIN, Q_BEGIN_READ, Q_COMMIT, Q_ROLLBACK, Q_HAS_SCHEMA, Q_VERSION, Q_SET_VERSION,
	Q_DELETE_METRICS, Q_DELETE_RUN, Q_PUT_RUN, Q_PUT_METRIC, Q_RUNS, Q_RUN_DIRS,
	Q_RUN_METRICS, Q_METRIC_VALUE, Q_HAS_METRIC, Q_METRIC_NAMES, Q_RUN_DIR, Q_SET_TAGS,
	Q_PUT_NIGHT, Q_LAST_GOOD, Q_NIGHTS, Q_NIGHT_JOBS, Q_INTEGRITY, Q_FOREIGN_KEYS, Q_NR
};

static const char *const sql[Q_NR] = {
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_BEGIN_READ] = "BEGIN",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_HAS_SCHEMA] = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema'",
	[Q_VERSION] = "SELECT version FROM schema",
	[Q_SET_VERSION] = "UPDATE schema SET version = ?1",
	[Q_DELETE_METRICS] = "DELETE FROM metrics WHERE run_id = ?1",
	[Q_DELETE_RUN] = "DELETE FROM runs WHERE run_id = ?1",
	[Q_PUT_RUN] = "INSERT OR REPLACE INTO runs (" RUN_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
		" ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
	[Q_PUT_METRIC] = "INSERT INTO metrics (run_id, name, value) VALUES (?1, ?2, ?3)",
	/* the latest ?7 (-1: all) that match, oldest first */
	[Q_RUNS] = "SELECT " RUN_COLS " FROM (SELECT * FROM runs"
		" WHERE (?1 IS NULL OR job = ?1 OR job_name = ?8)"
		" AND (?2 IS NULL OR label = ?2)"
		" AND (?3 IS NULL OR substr(commit_id, 1, length(?3)) = ?3)"
		" AND (?4 IS NULL OR series = ?4)"
		" AND (?5 IS NULL OR kind = ?5)"
		" AND (?6 IS NULL OR status = ?6)"
		" ORDER BY started_s DESC, run_id DESC LIMIT ?7)"
		" ORDER BY started_s, run_id",
	[Q_RUN_DIRS] = "SELECT run_id, dir FROM runs",
	[Q_RUN_METRICS] = "SELECT name, value FROM metrics WHERE run_id = ?1 ORDER BY name",
	[Q_METRIC_VALUE] = "SELECT value FROM metrics WHERE run_id = ?1 AND name = ?2",
	[Q_HAS_METRIC] = "SELECT 1 FROM metrics WHERE name = ?1 LIMIT 1",
	[Q_METRIC_NAMES] = "SELECT name, count(*) FROM metrics GROUP BY name ORDER BY name",
	[Q_RUN_DIR] = "SELECT dir, kind FROM runs WHERE run_id = ?1",
	[Q_SET_TAGS] = "UPDATE runs SET kind = ?2, series = ?3 WHERE run_id = ?1",
	[Q_PUT_NIGHT] = "INSERT OR REPLACE INTO nightly (" NIGHT_COLS ") VALUES (?1, ?2, ?3, ?4,"
		" ?5, ?6, ?7, ?8, ?9, ?10)",
	[Q_LAST_GOOD] = "SELECT " NIGHT_COLS " FROM nightly"
		" WHERE (job = ?1 OR job_name = ?2) AND verdict = 'GOOD'"
		" ORDER BY date DESC, recorded_utc DESC, id DESC LIMIT 1",
	[Q_NIGHT_JOBS] = ("SELECT job_name, MAX(date) FROM nightly GROUP BY job_name"
			  " ORDER BY job_name"),
	[Q_NIGHTS] = "SELECT " NIGHT_COLS " FROM (SELECT * FROM nightly"
		" WHERE job = ?1 OR job_name = ?2"
		" ORDER BY date DESC, recorded_utc DESC, id DESC LIMIT ?3)"
		" ORDER BY date, recorded_utc, id",
	[Q_INTEGRITY] = "PRAGMA integrity_check",
	[Q_FOREIGN_KEYS] = "PRAGMA foreign_key_check",
};

struct history {
	sqlite3 *db;
	sqlite3_stmt *stmt[Q_NR];	/* prepared on first use */
	char *results;			/* the results directory */
	char *path;			/* RESULTS/.history.sqlite */
	int version;			/* schema version */
};

static int db_error(struct history *h, const char *what)
{
	return error("%s '%s': %s", what, h->path, sqlite3_errmsg(h->db));
}

/* The statement for q, reset and unbound, ready for new values. */
static sqlite3_stmt *stmt(struct history *h, enum query q)
{
	sqlite3_stmt *s = h->stmt[q];

	if (!s && sqlite3_prepare_v3(h->db, sql[q], -1, SQLITE_PREPARE_PERSISTENT,
				     &h->stmt[q], NULL) != SQLITE_OK) {
		db_error(h, "cannot prepare a query on");
		return NULL;
	}
	s = h->stmt[q];
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

/* Bind text, NULL for NULL; SQLITE_TRANSIENT: SQLite copies it. */
static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/* NaN and infinities are NULL: unknown, never 0. */
static void bind_real(sqlite3_stmt *s, int i, double v)
{
	if (isfinite(v))
		sqlite3_bind_double(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

static char *column_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? xstrdup((const char *)t) : NULL;
}

static double column_real(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

/* Run a statement that returns no rows. */
static int step_done(struct history *h, sqlite3_stmt *s, const char *what)
{
	int rc = s ? sqlite3_step(s) : SQLITE_ERROR;

	if (s)
		sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return s ? db_error(h, what) : -1;
	return 0;
}

static int exec_q(struct history *h, enum query q, const char *what)
{
	return step_done(h, stmt(h, q), what);
}

static int busy(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

/* Sleep before attempt k (0.1 s doubling to 5 s); 0 once patience ran out. */
static int back_off(unsigned k, uint64_t start)
{
	double wait = k < 6 ? 0.1 * (double)(1u << k) : 5.0;

	if ((double)(mono_ns() - start) / 1e9 + wait > BUSY_PATIENCE_S)
		return 0;
	sleep_ns((uint64_t)(wait * 1e9));
	return 1;
}

/* BEGIN IMMEDIATE: the write lock, however long others hold it (see above). */
static int begin(struct history *h)
{
	uint64_t start = mono_ns();
	sqlite3_stmt *s = stmt(h, Q_BEGIN);
	int rc;

	if (!s)
		return -1;
	for (unsigned k = 0;; k++) {
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc == SQLITE_DONE)
			return 0;
		if (!busy(rc) || !back_off(k, start))
			return db_error(h, "cannot lock");
	}
}

static int commit(struct history *h)
{
	if (!exec_q(h, Q_COMMIT, "cannot write"))
		return 0;
	exec_q(h, Q_ROLLBACK, "cannot roll back");
	return -1;
}

static void rollback(struct history *h)
{
	if (!sqlite3_get_autocommit(h->db))
		exec_q(h, Q_ROLLBACK, "cannot roll back");
}

/* ---- opening and migrating ---- */

/* The schema version: 0 for a new (empty) database. */
static int read_version(struct history *h, int *version)
{
	sqlite3_stmt *s = stmt(h, Q_HAS_SCHEMA);
	int has = s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) > 0, rc;

	if (!s)
		return -1;
	sqlite3_reset(s);
	*version = 0;
	if (!has)
		return 0;
	if (!(s = stmt(h, Q_VERSION)))
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(h, "cannot read the schema version of");
	return 0;
}

/*
 * Statements are prepared against a schema: after a migration changed
 * it, they are prepared again.
 */
static void finalize_all(struct history *h)
{
	for (int q = 0; q < Q_NR; q++) {
		sqlite3_finalize(h->stmt[q]);
		h->stmt[q] = NULL;
	}
}

/* Migrate from the version found to n, in one transaction. */
static int migrate(struct history *h, const char *const *migrations, int n)
{
	int v;

	if (begin(h) || read_version(h, &v))
		goto fail;
	if (v == 0 && sqlite3_exec(h->db, "CREATE TABLE IF NOT EXISTS schema (version INTEGER"
				   " NOT NULL); INSERT INTO schema SELECT 0 WHERE NOT EXISTS"
				   " (SELECT 1 FROM schema);", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(h, "cannot create the schema in");
		goto fail;
	}
	for (; v < n; v++) {
		sqlite3_stmt *s;

		if (sqlite3_exec(h->db, migrations[v], NULL, NULL, NULL) != SQLITE_OK) {
			error("cannot migrate '%s' to schema version %d: %s", h->path, v + 1,
			      sqlite3_errmsg(h->db));
			goto fail;
		}
		finalize_all(h);
		if (!(s = stmt(h, Q_SET_VERSION)))
			goto fail;
		sqlite3_bind_int(s, 1, v + 1);
		if (step_done(h, s, "cannot record the schema version in"))
			goto fail;
	}
	h->version = v;
	return commit(h);
fail:
	rollback(h);
	return -1;
}

/* Bring the schema to version n: nothing to do is the common case. */
static int check_schema(struct history *h, const char *const *migrations, int n)
{
	int v;

	if (read_version(h, &v))
		return -1;
	if (v > n)
		return error("'%s' has schema version %d, newer than this perflab's %d: "
			     "use a newer perflab (or 'perflab history --rebuild' after moving "
			     "it aside)", h->path, v, n);
	h->version = v;
	if (v == n)
		return 0;
	if (v > 0)
		note("upgrading '%s' from schema version %d to %d", h->path, v, n);
	finalize_all(h);
	return migrate(h, migrations, n);
}

/*
 * WAL: writers do not block readers; NORMAL sync: the index is
 * rebuildable. Turning a new database to WAL takes its lock, which a
 * process creating it at the same moment may hold: tried again.
 */
static int configure(struct history *h)
{
	static const char pragmas[] = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
		"PRAGMA foreign_keys = ON;";
	uint64_t start = mono_ns();
	int rc;

	sqlite3_busy_timeout(h->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(h->db, 1);
	for (unsigned k = 0;; k++) {
		rc = sqlite3_exec(h->db, pragmas, NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			return 0;
		if (!busy(rc) || !back_off(k, start))
			return db_error(h, "cannot open");
	}
}

int history_open_with(struct history **out, const char *results,
		      const char *const *migrations, int n)
{
	struct history *h = xcalloc(1, sizeof(*h));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

	*out = NULL;
	if (!is_dir(results)) {
		free(h);
		return error("no results directory '%s'", results);
	}
	h->results = xstrdup(results);
	h->path = xasprintf("%s/%s", results, HISTORY_DB);
	if (sqlite3_open_v2(h->path, &h->db, flags, NULL) != SQLITE_OK) {
		error("cannot open '%s': %s", h->path,
		      h->db ? sqlite3_errmsg(h->db) : "out of memory");
		history_close(h);
		return -1;
	}
	if (configure(h) || check_schema(h, migrations, n)) {
		history_close(h);
		return -1;
	}
	*out = h;
	return 0;
}

int history_open(struct history **out, const char *results)
{
	return history_open_with(out, results, history_migrations, history_nr_migrations);
}

void history_close(struct history *h)
{
	if (!h)
		return;
	finalize_all(h);
	sqlite3_close(h->db);
	free(h->results);
	free(h->path);
	free(h);
}

int history_schema_version(const struct history *h)
{
	return h->version;
}

const char *history_results(const struct history *h)
{
	return h->results;
}

/* ---- adding runs ---- */

static int put_metrics(struct history *h, const struct history_run *r)
{
	for (size_t i = 0; i < r->nr_metrics; i++) {
		sqlite3_stmt *s = stmt(h, Q_PUT_METRIC);

		if (!s)
			return -1;
		bind_text(s, 1, r->run_id);
		bind_text(s, 2, r->metrics[i].name);
		bind_real(s, 3, r->metrics[i].value);
		if (step_done(h, s, "cannot add a metric to"))
			return -1;
	}
	return 0;
}

static int put_row(struct history *h, const struct history_run *r)
{
	const char *texts[] = { r->run_id, r->dir, r->status, r->failure, r->job, r->job_name,
				r->label, r->commit, r->image_key, r->image, r->workload, r->dut,
				r->fingerprint, r->started_utc, r->finished_utc };
	sqlite3_stmt *s = stmt(h, Q_PUT_RUN);

	if (!s)
		return -1;
	for (int i = 0; i < (int)ARRAY_SIZE(texts); i++)
		bind_text(s, i + 1, texts[i]);
	bind_real(s, 16, r->started_s);
	bind_real(s, 17, r->finished_s);
	bind_text(s, 18, r->perflab_version);
	bind_text(s, 19, r->kind ? r->kind : "run");
	bind_text(s, 20, r->series);
	return step_done(h, s, "cannot add a run to");
}

/* One run, its old metrics replaced: inside the caller's transaction. */
static int put_run_locked(struct history *h, const struct history_run *r)
{
	sqlite3_stmt *s = stmt(h, Q_DELETE_METRICS);

	if (!r->run_id || !r->dir || !r->status)
		return error("a run needs an id, a directory and a status");
	if (!s)
		return -1;
	bind_text(s, 1, r->run_id);
	if (step_done(h, s, "cannot replace a run in") || put_row(h, r) || put_metrics(h, r))
		return -1;
	return 0;
}

/* Store a run already read; replaces any row with its run_id. */
static int history_put_run(struct history *h, const struct history_run *r)
{
	if (begin(h))
		return -1;
	if (put_run_locked(h, r)) {
		rollback(h);
		return -1;
	}
	return commit(h);
}

/* The run directory's name, if it is a directory of RESULTS. */
static char *name_in_results(const struct history *h, const char *run_dir)
{
	char *copy = xstrdup(run_dir), *slash, *name, *parent, *a, *b;
	size_t len = strlen(copy);

	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	slash = strrchr(copy, '/');
	name = xstrdup(slash ? slash + 1 : copy);
	parent = slash ? xstrndup(copy, slash == copy ? 1 : (size_t)(slash - copy)) : xstrdup(".");
	a = realpath(parent, NULL);
	b = realpath(h->results, NULL);
	if (!a || !b || strcmp(a, b)) {
		error("'%s' is not a run directory of '%s'", run_dir, h->results);
		free(name);
		name = NULL;
	}
	free(a);
	free(b);
	free(parent);
	free(copy);
	return name;
}

int history_add_run(struct history *h, const char *run_dir)
{
	struct history_run r;
	char *name = name_in_results(h, run_dir);
	int ret = -1;

	if (name && !history_run_read(&r, h->results, name))
		ret = history_put_run(h, &r);
	if (name)
		history_run_release(&r);
	free(name);
	return ret;
}

void history_index_run(const char *results, const char *run_dir)
{
	struct history *h;

	if (history_open(&h, results) || history_add_run(h, run_dir))
		warning("run '%s' is not in the history index; 'perflab history --rebuild "
			"--results %s' adds it", run_dir, results);
	history_close(h);
}

/* ---- rebuilding ---- */

struct scan {
	struct history_run *runs;	/* read well */
	size_t nr, alloc;
	char **seen;			/* every run directory looked at, sorted */
	size_t nr_seen, alloc_seen;
	size_t damaged;
};

static void scan_release(struct scan *sc)
{
	history_runs_free(sc->runs, sc->nr);
	for (size_t i = 0; i < sc->nr_seen; i++)
		free(sc->seen[i]);
	free(sc->seen);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A run directory: not hidden (.tmp-, .incomplete-), holding a run.json. */
static int is_run_dir(const char *results, const char *name)
{
	char *meta;
	int ret;

	if (name[0] == '.')
		return 0;
	meta = xasprintf("%s/%s/run.json", results, name);
	ret = path_exists(meta);
	free(meta);
	return ret;
}

static int list_run_dirs(struct scan *sc, const char *results)
{
	DIR *d = opendir(results);
	struct dirent *de;

	if (!d)
		return error_errno("cannot read results directory '%s'", results);
	while ((de = readdir(d))) {
		if (!is_run_dir(results, de->d_name))
			continue;
		ALLOC_GROW(sc->seen, sc->nr_seen + 1, sc->alloc_seen);
		sc->seen[sc->nr_seen++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(sc->seen, sc->nr_seen, sizeof(*sc->seen), cmp_str);
	return 0;
}

/* Read every run directory, outside any lock: the slow part. */
static int scan_results(struct scan *sc, const char *results)
{
	if (list_run_dirs(sc, results))
		return -1;
	for (size_t i = 0; i < sc->nr_seen; i++) {
		ALLOC_GROW(sc->runs, sc->nr + 1, sc->alloc);
		if (history_run_read(&sc->runs[sc->nr], results, sc->seen[i])) {
			history_run_release(&sc->runs[sc->nr]);
			sc->damaged++;
			continue;
		}
		sc->nr++;
	}
	return 0;
}

static int was_read(const struct scan *sc, const char *run_id)
{
	for (size_t i = 0; i < sc->nr; i++)
		if (!strcmp(sc->runs[i].run_id, run_id))
			return 1;
	return 0;
}

/*
 * A row to drop: its directory is gone, or was looked at and found
 * damaged. A directory the scan did not see at all is a run another
 * process finished meanwhile: its row stays.
 */
static int is_stale(const struct history *h, const struct scan *sc, const char *run_id,
		    const char *dir)
{
	char *path = xasprintf("%s/%s/run.json", h->results, dir);
	int gone = !path_exists(path);
	int seen = bsearch(&dir, sc->seen, sc->nr_seen, sizeof(*sc->seen), cmp_str) != NULL;

	free(path);
	return gone || (seen && !was_read(sc, run_id));
}

static int delete_run(struct history *h, const char *run_id)
{
	enum query qs[] = { Q_DELETE_METRICS, Q_DELETE_RUN };

	for (size_t i = 0; i < ARRAY_SIZE(qs); i++) {
		sqlite3_stmt *s = stmt(h, qs[i]);

		if (!s)
			return -1;
		bind_text(s, 1, run_id);
		if (step_done(h, s, "cannot remove a run from"))
			return -1;
	}
	return 0;
}

/* The run ids of rows to drop; NULL-terminated, the caller frees them. */
static char **stale_rows(struct history *h, const struct scan *sc, int *err)
{
	sqlite3_stmt *s = stmt(h, Q_RUN_DIRS);
	char **ids = xcalloc(1, sizeof(*ids));
	size_t nr = 0, alloc = 1;
	int rc;

	while (s && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		char *id = column_text(s, 0), *dir = column_text(s, 1);

		if (id && dir && is_stale(h, sc, id, dir)) {
			ALLOC_GROW(ids, nr + 2, alloc);
			ids[nr++] = id;
			ids[nr] = NULL;
			id = NULL;
		}
		free(id);
		free(dir);
	}
	*err = !s ? -1 : rc != SQLITE_DONE ? db_error(h, "cannot read") : 0;
	if (s)
		sqlite3_reset(s);
	return ids;
}

static int drop_stale(struct history *h, const struct scan *sc, size_t *removed)
{
	int ret;
	char **ids = stale_rows(h, sc, &ret);

	*removed = 0;
	for (size_t i = 0; ids[i]; i++) {
		if (!ret && !(ret = delete_run(h, ids[i])))
			(*removed)++;
		free(ids[i]);
	}
	free(ids);
	return ret;
}

static int write_scan(struct history *h, const struct scan *sc, struct history_rebuild_stats *st)
{
	if (begin(h))
		return -1;
	for (size_t i = 0; i < sc->nr; i++) {
		if (put_run_locked(h, &sc->runs[i]))
			goto fail;
		st->incomplete += strcmp(sc->runs[i].status, "complete") != 0;
	}
	if (drop_stale(h, sc, &st->removed))
		goto fail;
	st->indexed = sc->nr;
	st->damaged = sc->damaged;
	return commit(h);
fail:
	rollback(h);
	return -1;
}

int history_rebuild(struct history *h, struct history_rebuild_stats *stats)
{
	struct history_rebuild_stats st = { 0 };
	struct scan sc = { 0 };
	int ret = scan_results(&sc, h->results);

	if (!ret)
		ret = write_scan(h, &sc, &st);
	if (!ret && sc.damaged)
		ret = PERFLAB_EINVAL;
	scan_release(&sc);
	if (stats)
		*stats = st;
	return ret;
}

/* ---- tags ---- */

static int write_tags(const struct history *h, const char *dir, const char *kind,
		      const char *series)
{
	char *path = xasprintf("%s/%s/%s", h->results, dir, HISTORY_TAGS);
	json_t *tags = json_object();
	int ret;

	json_set_str(tags, "kind", kind);
	json_set_str(tags, "series", series);
	ret = json_write_file(path, tags, 0);
	json_decref(tags);
	free(path);
	return ret;
}

/* The run's directory and kind; PERFLAB_ENOTFOUND when it is not indexed. */
static int run_dir_of(struct history *h, const char *run_id, char **dir, char **kind)
{
	sqlite3_stmt *s = stmt(h, Q_RUN_DIR);
	int rc;

	*dir = *kind = NULL;
	if (!s)
		return -1;
	bind_text(s, 1, run_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*dir = column_text(s, 0);
		*kind = column_text(s, 1);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return PERFLAB_ENOTFOUND;
	return rc == SQLITE_ROW ? 0 : db_error(h, "cannot read");
}

static int set_tags(struct history *h, const char *run_id, const char *kind,
		    const char *series)
{
	sqlite3_stmt *s = stmt(h, Q_SET_TAGS);

	if (!s)
		return -1;
	bind_text(s, 1, run_id);
	bind_text(s, 2, kind);
	bind_text(s, 3, series);
	return step_done(h, s, "cannot tag a run in");
}

int history_tag_run(struct history *h, const char *run_id, const char *kind,
		    const char *series)
{
	char *dir = NULL, *old = NULL;
	int ret;

	if (kind && !history_is_kind(kind))
		return error("unknown kind '%s' (run, nightly, bisect or calibrate)", kind);
	if (begin(h))
		return -1;
	ret = run_dir_of(h, run_id, &dir, &old);
	if (ret == PERFLAB_ENOTFOUND)
		error("no run '%s' in '%s'", run_id, h->path);
	if (!ret)
		ret = write_tags(h, dir, kind ? kind : old, series);
	if (!ret)
		ret = set_tags(h, run_id, kind ? kind : old, series);
	if (ret)
		rollback(h);
	else
		ret = commit(h);
	free(dir);
	free(old);
	return ret;
}

/* ---- queries ---- */

static void run_from_row(struct history_run *r, sqlite3_stmt *s)
{
	char **texts[] = { &r->run_id, &r->dir, &r->status, &r->failure, &r->job, &r->job_name,
			   &r->label, &r->commit, &r->image_key, &r->image, &r->workload, &r->dut,
			   &r->fingerprint, &r->started_utc, &r->finished_utc };

	memset(r, 0, sizeof(*r));
	for (int i = 0; i < (int)ARRAY_SIZE(texts); i++)
		*texts[i] = column_text(s, i);
	r->started_s = column_real(s, 15);
	r->finished_s = column_real(s, 16);
	r->perflab_version = column_text(s, 17);
	r->kind = column_text(s, 18);
	r->series = column_text(s, 19);
}

static sqlite3_stmt *bind_filter(struct history *h, const struct history_filter *f,
				 char **name)
{
	sqlite3_stmt *s = stmt(h, Q_RUNS);

	*name = f->job ? history_job_name(f->job) : NULL;
	if (!s)
		return NULL;
	bind_text(s, 1, f->job);
	bind_text(s, 2, f->label);
	bind_text(s, 3, f->commit);
	bind_text(s, 4, f->series);
	bind_text(s, 5, f->kind);
	bind_text(s, 6, f->status);
	sqlite3_bind_int64(s, 7, f->last > 0 ? f->last : -1);
	bind_text(s, 8, *name);
	return s;
}

int history_runs(struct history *h, const struct history_filter *f,
		 struct history_run **out, size_t *nr)
{
	static const struct history_filter all;
	char *name;
	sqlite3_stmt *s = bind_filter(h, f ? f : &all, &name);
	size_t alloc = 0;
	int rc = SQLITE_ERROR;

	*out = NULL;
	*nr = 0;
	while (s && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		ALLOC_GROW(*out, *nr + 1, alloc);
		run_from_row(&(*out)[(*nr)++], s);
	}
	if (s)
		sqlite3_reset(s);
	free(name);
	if (rc == SQLITE_DONE)
		return 0;
	history_runs_free(*out, *nr);
	*out = NULL;
	*nr = 0;
	return s ? db_error(h, "cannot read") : -1;
}

void history_runs_free(struct history_run *v, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		history_run_release(&v[i]);
	free(v);
}

int history_run_metrics(struct history *h, struct history_run *r)
{
	sqlite3_stmt *s = stmt(h, Q_RUN_METRICS);
	int rc = SQLITE_ERROR;

	if (!s)
		return -1;
	for (size_t i = 0; i < r->nr_metrics; i++)
		free(r->metrics[i].name);
	r->nr_metrics = 0;
	bind_text(s, 1, r->run_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ALLOC_GROW(r->metrics, r->nr_metrics + 1, r->alloc_metrics);
		r->metrics[r->nr_metrics].name = column_text(s, 0);
		r->metrics[r->nr_metrics++].value = column_real(s, 1);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_error(h, "cannot read");
}

static int metric_value(struct history *h, const char *metric, const char *run_id,
			double *value)
{
	sqlite3_stmt *s = stmt(h, Q_METRIC_VALUE);
	int rc;

	*value = NAN;
	if (!s)
		return -1;
	bind_text(s, 1, run_id);
	bind_text(s, 2, metric);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*value = column_real(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(h, "cannot read");
}

/*
 * Many lookups in one read transaction: one snapshot, and one lock
 * taken instead of one per statement (most of the cost, otherwise).
 */
int history_metric_values(struct history *h, const char *metric, char *const *run_ids,
			  size_t n, double *values)
{
	int ret = exec_q(h, Q_BEGIN_READ, "cannot read");

	for (size_t i = 0; !ret && i < n; i++)
		ret = metric_value(h, metric, run_ids[i], &values[i]);
	if (ret)
		rollback(h);
	else
		ret = exec_q(h, Q_COMMIT, "cannot read");
	return ret;
}

int history_has_metric(struct history *h, const char *metric)
{
	sqlite3_stmt *s = stmt(h, Q_HAS_METRIC);
	int rc;

	if (!s)
		return -1;
	bind_text(s, 1, metric);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(h, "cannot read");
	return rc == SQLITE_ROW;
}

int history_metric_names(struct history *h, char ***names, size_t **counts, size_t *nr)
{
	sqlite3_stmt *s = stmt(h, Q_METRIC_NAMES);
	size_t alloc = 0, calloc_ = 0;
	int rc = SQLITE_ERROR;

	*names = NULL;
	*counts = NULL;
	*nr = 0;
	while (s && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		ALLOC_GROW(*names, *nr + 1, alloc);
		ALLOC_GROW(*counts, *nr + 1, calloc_);
		(*names)[*nr] = column_text(s, 0);
		(*counts)[(*nr)++] = (size_t)sqlite3_column_int64(s, 1);
	}
	if (s)
		sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : s ? db_error(h, "cannot read") : -1;
}

/* ---- the nightly record ---- */

static int valid_date(const char *d)
{
	int y, m, day, n = 0;

	return sscanf(d, "%4d-%2d-%2d%n", &y, &m, &day, &n) == 3 && n == 10 && !d[n] &&
	       m >= 1 && m <= 12 && day >= 1 && day <= 31;
}

static int check_night(const struct history_night *n)
{
	int known = 0;

	if (!n->job || !*n->job || !n->date || !n->commit || !*n->commit || !n->verdict)
		return error("a night needs a job, a date, a commit and a verdict");
	if (!valid_date(n->date))
		return error("'%s' is not a date like 2026-11-23", n->date);
	for (int i = 0; history_verdicts[i]; i++)
		known |= !strcmp(n->verdict, history_verdicts[i]);
	if (!known)
		return error("unknown verdict '%s' (GOOD, BAD, INCONCLUSIVE, SKIPPED or FAILED)",
			     n->verdict);
	if (n->summary) {
		json_t *j = json_loads(n->summary, JSON_DECODE_ANY, NULL);

		if (!j)
			return error("the summary of the night of '%s' is not JSON", n->date);
		json_decref(j);
	}
	return 0;
}

int history_record_night(struct history *h, const struct history_night *n)
{
	const char *texts[] = { n->job, NULL, n->date, n->commit, n->verdict, n->series,
				n->summary, n->range_good, n->range_bad, NULL };
	char now[40], *name;
	sqlite3_stmt *s;
	int ret;

	if (check_night(n) || begin(h))
		return -1;
	name = history_job_name(n->job);
	texts[1] = name;
	texts[9] = fmt_time_utc(real_ns(), now, sizeof(now));
	s = stmt(h, Q_PUT_NIGHT);
	for (int i = 0; s && i < (int)ARRAY_SIZE(texts); i++)
		bind_text(s, i + 1, texts[i]);
	ret = step_done(h, s, "cannot record a night in");
	if (ret)
		rollback(h);
	else
		ret = commit(h);
	free(name);
	return ret;
}

static void night_from_row(struct history_night *n, sqlite3_stmt *s)
{
	char **texts[] = { &n->job, &n->job_name, &n->date, &n->commit, &n->verdict, &n->series,
			   &n->summary, &n->range_good, &n->range_bad, &n->recorded_utc };

	for (int i = 0; i < (int)ARRAY_SIZE(texts); i++)
		*texts[i] = column_text(s, i);
}

int history_last_good_night(struct history *h, const char *job, struct history_night *out)
{
	sqlite3_stmt *s = stmt(h, Q_LAST_GOOD);
	char *name = history_job_name(job);
	int rc = SQLITE_ERROR;

	memset(out, 0, sizeof(*out));
	if (s) {
		bind_text(s, 1, job);
		bind_text(s, 2, name);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			night_from_row(out, s);
		sqlite3_reset(s);
	}
	free(name);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return PERFLAB_ENOTFOUND;
	return s ? db_error(h, "cannot read") : -1;
}

int history_nights(struct history *h, const char *job, long last,
		   struct history_night **out, size_t *nr)
{
	sqlite3_stmt *s = stmt(h, Q_NIGHTS);
	char *name = history_job_name(job);
	size_t alloc = 0;
	int rc = SQLITE_ERROR;

	*out = NULL;
	*nr = 0;
	if (s) {
		bind_text(s, 1, job);
		bind_text(s, 2, name);
		sqlite3_bind_int64(s, 3, last > 0 ? last : -1);
	}
	while (s && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		ALLOC_GROW(*out, *nr + 1, alloc);
		memset(&(*out)[*nr], 0, sizeof(**out));
		night_from_row(&(*out)[(*nr)++], s);
	}
	if (s)
		sqlite3_reset(s);
	free(name);
	return rc == SQLITE_DONE ? 0 : s ? db_error(h, "cannot read") : -1;
}

int history_night_jobs(struct history *h, char ***names, size_t *nr)
{
	sqlite3_stmt *s = stmt(h, Q_NIGHT_JOBS);
	size_t alloc = 0;
	int rc = SQLITE_ERROR;

	*names = NULL;
	*nr = 0;
	while (s && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(s, 0);

		ALLOC_GROW(*names, *nr + 2, alloc);
		(*names)[(*nr)++] = xstrdup(t ? (const char *)t : "");
		(*names)[*nr] = NULL;
	}
	if (s)
		sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : s ? db_error(h, "cannot read") : -1;
}

void history_night_release(struct history_night *n)
{
	char **texts[] = { &n->job, &n->job_name, &n->date, &n->commit, &n->verdict, &n->series,
			   &n->summary, &n->range_good, &n->range_bad, &n->recorded_utc };

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		free(*texts[i]);
		*texts[i] = NULL;
	}
}

void history_nights_free(struct history_night *v, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		history_night_release(&v[i]);
	free(v);
}

/* ---- checks ---- */

int history_check(struct history *h)
{
	sqlite3_stmt *s = stmt(h, Q_INTEGRITY);
	const unsigned char *t;
	int ok;

	if (!s)
		return -1;
	ok = sqlite3_step(s) == SQLITE_ROW && (t = sqlite3_column_text(s, 0)) &&
	     !strcmp((const char *)t, "ok");
	sqlite3_reset(s);
	if (!ok)
		return error("'%s' is damaged (integrity_check)", h->path);
	if (!(s = stmt(h, Q_FOREIGN_KEYS)))
		return -1;
	ok = sqlite3_step(s) == SQLITE_DONE;
	sqlite3_reset(s);
	return ok ? 0 : error("'%s' has metrics of runs it does not have", h->path);
}

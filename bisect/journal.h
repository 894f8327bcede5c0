#ifndef BISECT_JOURNAL_H
#define BISECT_JOURNAL_H

#include <stddef.h>
#include "bisect/engine.h"

struct bisect_revs;

/*
 * The journal of a bisection: JSON lines, one event per line, each line
 * fsync'd before the call returns, so after a crash (kill -9, power)
 * every event that was reported written is there and at most the last
 * line is torn. Events ("ev"):
 *   start        config, metric, good/bad ids, commits [{id, subject}]
 *   round        round number, requests [{commit, id, runs, why, block, lane}] in the
 *                order engine_next gave them (block and lane since blocks came in)
 *   measurement  commit index and id, value (null: failed run), run dir or null, round,
 *                block (the request's; missing in journals written before blocks, whose
 *                runs replay in request order, see engine_observe)
 *   unbuildable  commit index and id, round
 *   verdict      commit index and id, verdict name, p_bad
 *   result       status, culprit, range, confidence, runs, builds, skipped
 *   mark         a human's verdict (manual bisection, bisect/manual.c): verdict,
 *                id, rev as typed, step, time (seconds since the epoch), repo
 * Commit index -1 is the good endpoint.
 */
struct journal {
	int fd;			/* open for appending, -1 when closed */
	char *path;		/* owned */
	unsigned long lines;	/* lines in the file */
};

/* Create path (exclusively: an existing journal is never overwritten). */
int journal_create(struct journal *out, const char *path);
/*
 * Open an existing journal to append (resume): this writes. A torn last
 * line (no newline, and not an event that parses) is cut off first: it
 * was never reported written. A last line that is a whole event and only
 * misses its newline is kept and ended. Readers use journal_read, which
 * never writes.
 */
int journal_open(struct journal *out, const char *path);
int journal_close(struct journal *j);	/* safe on a closed journal */

/* Write one event (an object with "ev") as a line and fsync it; steals ev. */
struct json_t;
int journal_append(struct journal *j, struct json_t *ev);

int journal_start(struct journal *j, const struct engine_config *c,
		  const struct bisect_revs *r, const char *metric);
int journal_round(struct journal *j, unsigned round, const struct bisect_revs *r,
		  const struct engine_request *req, size_t n);
int journal_measurement(struct journal *j, const struct bisect_revs *r, long commit,
			double value, const char *run_dir, unsigned round);
/*
 * The same with the block the run was measured in (the request's block):
 * what engine_observe_block takes, and what replay gives it back.
 */
int journal_measurement_block(struct journal *j, const struct bisect_revs *r, long commit,
			      unsigned block, double value, const char *run_dir,
			      unsigned round);
int journal_unbuildable(struct journal *j, const struct bisect_revs *r, long commit,
			unsigned round);
/* A verdict line per commit whose verdict changed since the last call's. */
int journal_verdicts(struct journal *j, const struct bisect_revs *r,
		     const struct engine_result *res, enum bisect_verdict *last);
int journal_result(struct journal *j, const struct bisect_revs *r,
		   const struct engine_result *res);

/*
 * Read a journal: fn is called for every line that parses (a JSON object
 * with a known "ev"), with its 1-based line number. A torn last line
 * (no newline at the end of the file, and not an event that parses) is
 * skipped with *torn set; any other bad line is an error naming the file
 * and line. The file is never written.
 */
struct json_t;
typedef int (*journal_fn)(const struct json_t *ev, unsigned long lineno, void *data);
int journal_read(const char *path, journal_fn fn, void *data, int *torn);

/*
 * Replay: read the journal at path, rebuild the range from its start
 * line into *revs (ids, subjects, parents, ancestry; no repository
 * needed), build the engine from its configuration and feed it every
 * round and measurement in order, checking that each journaled round is
 * the one the engine plans (else an error naming the line: the engine
 * or the journal changed). *out gets the engine, which borrows the
 * ancestry of *revs: free the engine first, then revs_release(revs).
 * The engine then continues where the journal ended.
 */
int journal_replay(const char *path, struct engine **out, struct bisect_revs *revs);

#endif

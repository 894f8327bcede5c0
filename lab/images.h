#ifndef LAB_IMAGES_H
#define LAB_IMAGES_H

#include <stddef.h>
#include <stdint.h>

struct json_t;

/*
 * The image cache: content-addressed entries, one directory per key
 * (the key is defined in build.h):
 *
 *   IMAGES/<key>/image        the artifact, a file or a directory (absent
 *                             when the build failed)
 *   IMAGES/<key>/build.log    the build's standard output and error
 *   IMAGES/<key>/meta.json    what was built, how, when, and the outcome
 *   IMAGES/<key>.lock         flock(2): exclusive while an entry is built or
 *                             pruned, shared while someone uses the image
 *   IMAGES/.tmp-<key>.<pid>   an entry being built, renamed into place whole
 *
 * A reader sees an entry complete or not at all. A failed build is an
 * entry too (status "failed"), so it is not retried for the same key.
 */
enum image_status { IMAGE_OK, IMAGE_FAILED };

#define IMAGE_META_VERSION 1
#define IMAGE_META_MAX (1 << 20)	/* bytes; larger meta.json files are refused */
#define IMAGE_KEY_HEX 64		/* hex digits of a key */
#define IMAGE_LOG_TAIL 20		/* lines of a failed build's log kept in meta.json */

struct image_meta {
	char *key;		/* IMAGE_KEY_HEX lowercase hex digits */
	int status;		/* enum image_status */
	char *repo;		/* the job's repo, as written */
	char *commit;		/* hex id of the commit first built for this key */
	char *tree;		/* hex id of its tree */
	char *subject;		/* the commit's subject: stored, never interpreted */
	char **argv;		/* the build command as configured (placeholders kept) */
	char **env;		/* the job's extra environment entries */
	char *artifact;		/* as configured */
	char *toolchain;	/* the toolchain fingerprint (text; see build.h) */
	uint64_t size;		/* bytes of the image; 0 when the build failed */
	double created;		/* seconds since the epoch */
	double last_used;	/* seconds since the epoch */
	double build_s;		/* wall seconds of checkout and build; NaN if unknown */
	int exit_code;		/* of the build command, shell convention; -1 if none */
	char *reason;		/* why the build failed; "" when it did not */
	char *log_tail;		/* last lines of a failed build's log; "" when ok */
	char *log;		/* the log's file name inside the entry */
};

/*
 * Parse a meta.json document (name stands for the file in errors).
 * Strict on what it uses (types, hex ids, times, the version), lenient
 * on keys it does not know so newer perflabs can add some. Returns -1
 * (reported) on anything else; out is then released.
 */
int image_meta_parse(struct image_meta *out, const char *buf, size_t len, const char *name);
/* The document for m. New reference. */
struct json_t *image_meta_json(const struct image_meta *m);
/* Read and write ENTRY/meta.json; the write is atomic. */
int image_meta_load(struct image_meta *out, const char *entry);
int image_meta_save(const struct image_meta *m, const char *entry);
void image_meta_release(struct image_meta *m);

/* Is s a cache key (IMAGE_KEY_HEX lowercase hex digits)? */
int image_key_ok(const char *s);
/* IMAGES/KEY; the caller frees it. */
char *image_entry_dir(const char *images, const char *key);

#define IMAGE_LOCK_SH 1		/* shared: the image is in use */
#define IMAGE_LOCK_EX 2		/* exclusive: building or pruning */
#define IMAGE_LOCK_NB 4		/* do not wait */
/*
 * Lock IMAGES/KEY.lock as how says. Returns 0 with the lock's fd in
 * *fd_out, 1 when IMAGE_LOCK_NB was given and someone holds it, -1 on
 * error (reported). image_unlock() closes the fd (-1 is fine).
 */
int image_lock(int *fd_out, const char *images, const char *key, int how);
void image_unlock(int fd);
/*
 * The same for any lock file (worktrees, mirrors): created if missing;
 * a lock on a file someone removed meanwhile is retried on the new one.
 */
int lock_file(int *fd_out, const char *path, int how);

struct image_entry {
	char *dir;		/* IMAGES/KEY */
	struct image_meta meta;
	uint64_t disk_bytes;	/* everything in the entry: image, log, meta */
};

struct image_list {
	struct image_entry *v;
	size_t nr, alloc;
};

/*
 * Every readable entry of a cache, most recently used first. Entries
 * whose meta.json cannot be read are reported with warning() and left
 * out. A cache directory that does not exist is an empty list.
 */
int images_list(struct image_list *out, const char *images);
void image_list_release(struct image_list *l);

struct prune_opts {
	long keep;		/* keep this many most recently used; < 0: no limit */
	double older_than;	/* seconds since last use; NaN: no limit */
	int failed;		/* remove failed builds */
	int dry_run;		/* say, do not remove */
	double now;		/* seconds since the epoch */
};

struct prune_result {
	unsigned removed;	/* entries removed */
	unsigned kept;		/* entries left */
	unsigned busy;		/* entries to remove that were in use (left) */
	unsigned stale;		/* leftovers of builds that died, removed */
	uint64_t bytes;		/* freed */
};

/* Called for every entry prune removes (busy = 0) or must leave (busy = 1). */
typedef void (*prune_fn)(const struct image_entry *e, int busy, void *data);
/*
 * Remove entries that match any given rule: beyond the keep most
 * recently used, unused for longer than older_than, or failed. An entry
 * whose lock someone holds is in use and stays.
 */
int images_prune(struct prune_result *out, const char *images, const struct prune_opts *o,
		 prune_fn fn, void *data);

/* Bytes of regular files (and symlinks) under path. */
uint64_t disk_usage(const char *path);
/*
 * RFC 3339 UTC ("2026-11-23T17:02:03.123Z") to seconds since the epoch;
 * -1 for a time before the epoch or past what fmt_time_utc's 64-bit
 * nanoseconds hold (the year 2554).
 */
int parse_time_utc(const char *s, double *out);

#endif

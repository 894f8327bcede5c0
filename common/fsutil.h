#ifndef COMMON_FSUTIL_H
#define COMMON_FSUTIL_H

#include <stddef.h>

/*
 * Results are written atomically and never overwritten: a reader sees
 * either no file or the whole file, and a crash leaves at most a
 * temporary file beside the target.
 */

/* Create a directory and its parents (mode 0755); existing ones are fine. */
int mkdir_p(const char *path);
/*
 * A directory that is this user's alone: made 0700 if missing, else
 * refused (error, -1) unless it is a directory (not a symlink) owned by
 * the effective user and closed to group and others, as ssh demands of
 * its files. For private state in shared places such as /tmp.
 */
int mkdir_private(const char *path);
/*
 * Write data to path atomically: a temporary in the same directory,
 * fsync, then rename. With noreplace, fail with PERFLAB_EEXISTS if path
 * exists instead of replacing it.
 */
int write_file_atomic(const char *path, const void *data, size_t len,
		      int noreplace);
/*
 * Rename from to to, failing with PERFLAB_EEXISTS if to exists (a file or
 * a directory, empty or not). Then fsync the parent directory. Where the
 * filesystem has no RENAME_NOREPLACE (NFS, some FUSE), a file is linked
 * and a directory renamed over an empty placeholder made with mkdir (see
 * fsutil.c for the races); the environment variable
 * PERFLAB_TEST_NO_RENAMEAT2 forces that fallback, for tests.
 */
int rename_noreplace(const char *from, const char *to);
/* fsync a directory so a rename inside it is durable. */
int fsync_dir(const char *dir);
/* Remove a directory tree (like rm -rf, without following symlinks). */
int remove_tree(const char *path);
/*
 * The absolute form of path (caller frees): realpath(3) when it exists,
 * else path joined to the working directory. For paths kept in state
 * that is read again from elsewhere.
 */
char *path_absolute(const char *path);
/* Does path exist? Is it a directory? */
int path_exists(const char *path);
int is_dir(const char *path);

#endif

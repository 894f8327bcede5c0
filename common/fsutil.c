#include "common/fsutil.h"
#include "common/util.h"
#include "common/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

int mkdir_p(const char *path)
{
	char *p = xstrdup(path);
	int ret = 0;

	for (char *s = p + 1; ; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST) {
			ret = error_errno("cannot create directory '%s'", p);
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	if (!ret && !is_dir(path))
		ret = error("'%s' exists and is not a directory", path);
	free(p);
	return ret;
}

int mkdir_private(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) && errno != EEXIST)
		return error_errno("cannot create directory '%s'", path);
	if (lstat(path, &st))
		return error_errno("cannot stat '%s'", path);
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
		return error("refusing '%s': it must be a directory of user %ld alone "
			     "(mode 0700)", path, (long)geteuid());
	return 0;
}

static char *parent_dir(const char *path)
{
	char *tmp = xstrdup(path);
	char *res = xstrdup(dirname(tmp));

	free(tmp);
	return res;
}

int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return error_errno("cannot open directory '%s'", dir);
	if (fsync(fd) && errno != EINVAL)
		ret = error_errno("cannot fsync directory '%s'", dir);
	close(fd);
	return ret;
}

/*
 * Filesystems without RENAME_NOREPLACE (NFS, some FUSE). A file is
 * linked to its new name (link fails on any existing name) and its old
 * name removed. link() cannot move a directory, so a directory reserves
 * its new name with mkdir, which also fails on any existing name and is
 * atomic on NFS too, then is renamed over that empty placeholder (rename
 * replaces an empty directory and nothing else). Races: whoever fills the
 * placeholder between the two steps makes the rename fail with ENOTEMPTY
 * and keeps what they put there (rmdir only removes an empty directory);
 * a cooperating writer never gets that far, since its own mkdir fails. A
 * crash between the two steps leaves an empty directory at the target:
 * it holds nothing, so nothing is lost, and readers see no complete run.
 */
static int rename_fallback(const char *from, const char *to)
{
	struct stat st;
	int err;

	if (lstat(from, &st))
		return error_errno("cannot rename '%s' to '%s'", from, to);
	if (!S_ISDIR(st.st_mode)) {
		if (link(from, to))
			goto failed;
		unlink(from);
		return 0;
	}
	if (mkdir(to, 0700))
		goto failed;
	if (!rename(from, to))
		return 0;
	err = errno;
	rmdir(to);
	errno = err == ENOTEMPTY ? EEXIST : err;
failed:
	if (errno == EEXIST)
		return PERFLAB_EEXISTS;
	return error_errno("cannot rename '%s' to '%s'", from, to);
}

/*
 * PERFLAB_TEST_NO_RENAMEAT2 (tests only) takes the fallback as if the
 * filesystem had no RENAME_NOREPLACE.
 */
int rename_noreplace(const char *from, const char *to)
{
	char *dir;
	int ret;

	if (getenv("PERFLAB_TEST_NO_RENAMEAT2"))
		ret = rename_fallback(from, to);
	else if (!syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE))
		ret = 0;
	else if (errno == EINVAL || errno == ENOSYS)
		ret = rename_fallback(from, to);
	else if (errno == EEXIST)
		ret = PERFLAB_EEXISTS;
	else
		ret = error_errno("cannot rename '%s' to '%s'", from, to);
	if (ret)
		return ret;
	dir = parent_dir(to);
	ret = fsync_dir(dir);
	free(dir);
	return ret;
}

int write_file_atomic(const char *path, const void *data, size_t len,
		      int noreplace)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd, ret = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		error_errno("cannot create '%s'", tmp);
		goto done;
	}
	if (write_all(fd, data, len) || fsync(fd)) {
		error_errno("cannot write '%s'", tmp);
		close(fd);
		unlink(tmp);
		goto done;
	}
	close(fd);
	if (noreplace) {
		ret = rename_noreplace(tmp, path);
		if (ret == PERFLAB_EEXISTS)
			error("refusing to overwrite '%s'", path);
	} else if (rename(tmp, path)) {
		ret = error_errno("cannot rename '%s' to '%s'", tmp, path);
	} else {
		char *dir = parent_dir(path);

		ret = fsync_dir(dir);
		free(dir);
	}
	if (ret)
		unlink(tmp);
done:
	free(tmp);
	return ret;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	if (flag == FTW_DP ? rmdir(path) : unlink(path))
		return error_errno("cannot remove '%s'", path);
	return 0;
}

int remove_tree(const char *path)
{
	if (!path_exists(path))
		return 0;
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) ? -1 : 0;
}

char *path_absolute(const char *path)
{
	char buf[PATH_MAX], *real = realpath(path, NULL);

	if (real)
		return real;
	if (*path == '/' || !getcwd(buf, sizeof(buf)))
		return xstrdup(path);
	return xasprintf("%s/%s", buf, path);
}

int path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

#include "common/fsutil.h"
#include "common/util.h"
#include "common/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
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

int rename_noreplace(const char *from, const char *to)
{
	char *dir;
	int ret;

	if (syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE)) {
		if (errno == EEXIST)
			return PERFLAB_EEXISTS;
		if (errno != EINVAL && errno != ENOSYS)
			return error_errno("cannot rename '%s' to '%s'", from, to);
		/* Filesystems without RENAME_NOREPLACE: link for files. */
		if (link(from, to)) {
			if (errno == EEXIST)
				return PERFLAB_EEXISTS;
			return error_errno("cannot rename '%s' to '%s'", from, to);
		}
		unlink(from);
	}
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

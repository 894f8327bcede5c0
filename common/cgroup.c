/*
 * Control groups for the CPU of a lab host (see cgroup.h): v1 (cpuacct
 * and cpuset hierarchies) or v2 (one unified hierarchy), found from
 * /proc/self/mountinfo.
 */
#include "common/cgroup.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define MOUNTINFO "/proc/self/mountinfo"

const char *cgroup_version_name(enum cgroup_version v)
{
	return v == CGROUP_V1 ? "v1" : v == CGROUP_V2 ? "v2" : "none";
}

static int has_option(const char *opts, const char *want)
{
	size_t n = strlen(want);

	for (const char *p = opts; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, want, n) && (p[n] == ',' || !p[n]))
			return 1;
	return 0;
}

/* The super options of a v1 mount without rw/ro: what mounting it again takes. */
static char *controllers(const char *opts)
{
	struct strbuf sb = STRBUF_INIT;
	char *copy = xstrdup(opts), *save = NULL;

	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save))
		if (strcmp(o, "rw") && strcmp(o, "ro"))
			strbuf_addf(&sb, "%s%s", sb.len ? "," : "", o);
	free(copy);
	return strbuf_detach(&sb, NULL);
}

/* One line of mountinfo: mount point, file system type, super options. */
static void probe_line(struct cgroup_fs *fs, char *line)
{
	char *sep = strstr(line, " - "), *f[6], *save = NULL;
	int n = 0;

	if (!sep)
		return;
	*sep = '\0';
	for (char *t = strtok_r(line, " ", &save); t && n < 6; t = strtok_r(NULL, " ", &save))
		f[n++] = t;
	if (n < 5)
		return;
	save = NULL;
	{
		char *type = strtok_r(sep + 3, " ", &save);
		char *src = type ? strtok_r(NULL, " ", &save) : NULL;
		char *opts = src ? strtok_r(NULL, " \n", &save) : NULL;

		if (!type || !opts)
			return;
		if (!strcmp(type, "cgroup2") && !fs->unified)
			fs->unified = xstrdup(f[4]);
		if (strcmp(type, "cgroup"))
			return;
		if (has_option(opts, "cpuacct") && !fs->cpuacct) {
			fs->cpuacct = xstrdup(f[4]);
			fs->cpuacct_opts = controllers(opts);
		}
		if (has_option(opts, "cpuset") && !fs->cpuset) {
			fs->cpuset = xstrdup(f[4]);
			fs->cpuset_opts = controllers(opts);
		}
	}
}

int cgroup_fs_probe(struct cgroup_fs *fs)
{
	char *text = read_file(MOUNTINFO, 1 << 20, NULL), *save = NULL;

	memset(fs, 0, sizeof(*fs));
	if (!text)
		return error_errno("cannot read '%s'", MOUNTINFO);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		probe_line(fs, l);
	free(text);
	if (fs->cpuacct && fs->cpuset) {
		fs->version = CGROUP_V1;	/* hybrid machines: the v1 controllers */
	} else if (fs->unified) {
		char *ctl = xasprintf("%s/cgroup.controllers", fs->unified);
		char *have = read_file(ctl, 4096, NULL);

		if (have && strstr(have, "cpu"))
			fs->version = CGROUP_V2;
		free(have);
		free(ctl);
	}
	if (fs->version == CGROUP_NONE)
		return error("no cgroup hierarchy with CPU accounting here (v1 cpuacct and "
			     "cpuset, or v2 with the cpu controller)");
	return 0;
}

void cgroup_fs_release(struct cgroup_fs *fs)
{
	free(fs->cpuacct);
	free(fs->cpuset);
	free(fs->unified);
	free(fs->cpuacct_opts);
	free(fs->cpuset_opts);
	memset(fs, 0, sizeof(*fs));
}

/* Mount a v1 hierarchy again at its place; one already there is fine. */
static int mount_v1(const char *where, const char *opts)
{
	if (mkdir(where, 0755) && errno != EEXIST)
		return -1;
	if (mount("cgroup", where, "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) &&
	    errno != EBUSY)
		return -1;
	return 0;
}

int cgroup_fs_mount_again(const struct cgroup_fs *fs)
{
	const char *root = "/sys/fs/cgroup";

	if (fs->version == CGROUP_V2)
		return mount("cgroup2", fs->unified, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			     NULL);
	if (fs->version != CGROUP_V1)
		return 0;
	/* the hierarchies live under a tmpfs at /sys/fs/cgroup, as on the host */
	if (!strncmp(fs->cpuacct, root, strlen(root)) &&
	    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755"))
		return -1;
	if (mount_v1(fs->cpuacct, fs->cpuacct_opts))
		return -1;
	return strcmp(fs->cpuset, fs->cpuacct) ? mount_v1(fs->cpuset, fs->cpuset_opts) : 0;
}

/* Group names are relative paths of plain components. */
static int valid_name(const char *name)
{
	if (!*name || *name == '/' || strstr(name, "..") || strstr(name, "//"))
		return error("invalid cgroup name '%s'", name);
	for (const char *p = name; *p; p++)
		if (!(*p == '/' || *p == '-' || *p == '_' || *p == '.' ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			return error("invalid cgroup name '%s'", name);
	return 0;
}

static int write_text(const char *dir, const char *file, const char *text)
{
	char *path = xasprintf("%s/%s", dir, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0 || write_all(fd, text, strlen(text)))
		ret = error_errno("cannot write '%s' to '%s'", text, path);
	if (fd >= 0)
		close(fd);
	free(path);
	return ret;
}

static char *read_text(const char *dir, const char *file)
{
	char *path = xasprintf("%s/%s", dir, file), *text = read_file(path, 65536, NULL);

	free(path);
	if (text)
		text[strcspn(text, "\n")] = '\0';
	return text;
}

/* v1 cpuset: a new group starts with no CPUs and no memory nodes. */
static int inherit_cpuset(const char *parent, const char *dir)
{
	char *cpus = read_text(parent, "cpuset.cpus"), *mems = read_text(parent, "cpuset.mems");
	int ret = -1;

	if (cpus && mems)
		ret = write_text(dir, "cpuset.cpus", cpus) || write_text(dir, "cpuset.mems", mems)
			? -1 : 0;
	else
		error_errno("cannot read the cpuset of '%s'", parent);
	free(cpus);
	free(mems);
	return ret;
}

/* Every directory of name under root, made as needed; level by level. */
static int make_levels(const char *root, const char *name, int cpuset_v1, int v2)
{
	struct strbuf dir = STRBUF_INIT;
	char *copy = xstrdup(name), *save = NULL;
	int ret = 0;

	strbuf_addstr(&dir, root);
	for (char *c = strtok_r(copy, "/", &save); c && !ret; c = strtok_r(NULL, "/", &save)) {
		char *parent = xstrdup(dir.buf);

		/* v2: the parent hands the cpu and cpuset controllers down */
		if (v2) {
			if (write_text(parent, "cgroup.subtree_control", "+cpu"))
				warning("no cpu controller below '%s': CPU time is still counted",
					parent);
			if (write_text(parent, "cgroup.subtree_control", "+cpuset"))
				warning("no cpuset controller below '%s': CPUs cannot be pinned",
					parent);
		}
		strbuf_addf(&dir, "/%s", c);
		if (mkdir(dir.buf, 0755) && errno != EEXIST)
			ret = error_errno("cannot make cgroup '%s'", dir.buf);
		else if (cpuset_v1)
			ret = inherit_cpuset(parent, dir.buf);
		free(parent);
	}
	strbuf_release(&dir);
	free(copy);
	return ret;
}

int cgroup_create(const struct cgroup_fs *fs, const char *name, const char *cpus)
{
	char *dir;
	int ret;

	if (valid_name(name))
		return -1;
	if (fs->version == CGROUP_V1) {
		if (make_levels(fs->cpuacct, name, 0, 0) || make_levels(fs->cpuset, name, 1, 0))
			return -1;
		if (!cpus)
			return 0;
		dir = xasprintf("%s/%s", fs->cpuset, name);
	} else {
		if (make_levels(fs->unified, name, 0, 1))
			return -1;
		if (!cpus)
			return 0;
		dir = xasprintf("%s/%s", fs->unified, name);
	}
	ret = write_text(dir, "cpuset.cpus", cpus);
	free(dir);
	return ret;
}

static int attach_in(const char *root, const char *name, pid_t pid)
{
	char *dir = xasprintf("%s/%s", root, name), num[32];
	int ret;

	snprintf(num, sizeof(num), "%ld", (long)pid);
	ret = write_text(dir, "cgroup.procs", num);
	free(dir);
	return ret;
}

int cgroup_attach(const struct cgroup_fs *fs, const char *name, pid_t pid)
{
	if (valid_name(name))
		return -1;
	if (fs->version == CGROUP_V1)
		return attach_in(fs->cpuacct, name, pid) || attach_in(fs->cpuset, name, pid)
			? -1 : 0;
	return attach_in(fs->unified, name, pid);
}

/* rmdir the group, then its parents while empty, keeping the first component. */
static int remove_in(const char *root, const char *name)
{
	char *rel = xstrdup(name), *slash;
	int ret = 0;

	for (;;) {
		char *dir = xasprintf("%s/%s", root, rel);

		if (rmdir(dir) && errno != ENOENT) {
			if (errno != EBUSY && errno != ENOTEMPTY)
				ret = error_errno("cannot remove cgroup '%s'", dir);
			else if (strcmp(rel, name) == 0)
				ret = error("cgroup '%s' still holds processes", dir);
			free(dir);
			break;
		}
		free(dir);
		slash = strrchr(rel, '/');
		if (!slash || !strchr(rel, '/') || slash == strchr(rel, '/'))
			break;	/* keep "perflab": other labs may use it */
		*slash = '\0';
	}
	free(rel);
	return ret;
}

int cgroup_remove(const struct cgroup_fs *fs, const char *name)
{
	if (valid_name(name))
		return -1;
	if (fs->version == CGROUP_V1)
		return remove_in(fs->cpuacct, name) | remove_in(fs->cpuset, name);
	return remove_in(fs->unified, name);
}

/* "key value" lines: the value of key, or -1. */
static long long stat_value(const char *text, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, n) && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
	return -1;
}

int cgroup_cpu_read(const struct cgroup_fs *fs, const char *name, struct cgroup_cpu *out)
{
	char *dir, *path, *text;
	long long usage = -1, user, sys;

	if (valid_name(name))
		return -1;
	dir = xasprintf("%s/%s", fs->version == CGROUP_V1 ? fs->cpuacct : fs->unified, name);
	path = xasprintf("%s/%s", dir, fs->version == CGROUP_V1 ? "cpuacct.stat" : "cpu.stat");
	text = read_file(path, 65536, NULL);
	if (!text) {
		error_errno("cannot read '%s'", path);
		free(path);
		free(dir);
		return -1;
	}
	if (fs->version == CGROUP_V1) {
		long hz = sysconf(_SC_CLK_TCK);
		char *u = read_text(dir, "cpuacct.usage");

		user = stat_value(text, "user");
		sys = stat_value(text, "system");
		usage = u ? strtoll(u, NULL, 10) : -1;
		free(u);
		user = user < 0 || hz <= 0 ? -1 : user * (1000000000LL / hz);
		sys = sys < 0 || hz <= 0 ? -1 : sys * (1000000000LL / hz);
	} else {
		usage = stat_value(text, "usage_usec");
		user = stat_value(text, "user_usec");
		sys = stat_value(text, "system_usec");
		usage = usage < 0 ? -1 : usage * 1000;
		user = user < 0 ? -1 : user * 1000;
		sys = sys < 0 ? -1 : sys * 1000;
	}
	free(text);
	free(dir);
	if (usage < 0 || user < 0 || sys < 0) {
		error("'%s': no CPU usage in it", path);
		free(path);
		return -1;
	}
	free(path);
	out->usage_ns = (uint64_t)usage;
	out->user_ns = (uint64_t)user;
	out->system_ns = (uint64_t)sys;
	return 0;
}

int cpulist_count(const char *list)
{
	int n = 0;
	const char *p = list;

	while (p && *p && *p != '\n') {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p || a < 0)
			return -1;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1 || b < a)
				return -1;
			p = end;
		}
		n += (int)(b - a + 1);
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -1;
	}
	return n > 0 ? n : -1;
}

int cgroup_cpus(const struct cgroup_fs *fs, const char *name, char **list_out)
{
	char *dir, *list = NULL;
	int n;

	*list_out = NULL;
	if (valid_name(name))
		return -1;
	if (fs->version == CGROUP_V1) {
		dir = xasprintf("%s/%s", fs->cpuset, name);
		list = read_text(dir, "cpuset.effective_cpus");
		if (!list)
			list = read_text(dir, "cpuset.cpus");
	} else {
		dir = xasprintf("%s/%s", fs->unified, name);
		list = read_text(dir, "cpuset.cpus.effective");
	}
	free(dir);
	if (!list)
		list = read_text("/sys/devices/system/cpu", "online");
	n = list ? cpulist_count(list) : -1;
	if (n < 0) {
		free(list);
		return -1;
	}
	*list_out = list;
	return n;
}

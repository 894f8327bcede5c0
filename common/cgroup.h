#ifndef COMMON_CGROUP_H
#define COMMON_CGROUP_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Control groups for CPU that belongs to one host of a namespace lab:
 * the group's processes are accounted together (v1 cpuacct, v2 cpu.stat)
 * and may be kept on CPUs of their own (v1 cpuset, v2 cpuset.cpus).
 * Both versions are handled; a machine with v1 controllers and an empty
 * v2 hierarchy beside them (hybrid) uses v1. Group names are paths
 * relative to the hierarchy's root, "perflab/plab/dut1"; they are data,
 * and only ever become file names under the cgroup mounts.
 */
enum cgroup_version { CGROUP_NONE = 0, CGROUP_V1 = 1, CGROUP_V2 = 2 };

struct cgroup_fs {
	enum cgroup_version version;
	char *cpuacct;		/* v1: the mount holding cpuacct (may also hold cpu) */
	char *cpuset;		/* v1: the mount holding cpuset */
	char *unified;		/* v2: the cgroup2 mount */
	char *cpuacct_opts;	/* v1: the controllers of those mounts ("cpu,cpuacct") */
	char *cpuset_opts;
};

/* Find the cgroup mounts of this machine. 0, or -1 when there is none usable. */
int cgroup_fs_probe(struct cgroup_fs *out);
/*
 * In a new mount namespace whose /sys is a fresh sysfs (what `ip netns
 * exec` makes, and lab hosts get), mount the hierarchies of fs again at
 * the same places, so the host's processes can read their cgroups. For
 * a forked child before it execs; 0 or -1 with errno.
 */
int cgroup_fs_mount_again(const struct cgroup_fs *fs);
void cgroup_fs_release(struct cgroup_fs *fs);
const char *cgroup_version_name(enum cgroup_version v);	/* "v1", "v2", "none" */

/*
 * Make group name (its parents too) for CPU accounting and, when cpus
 * is not NULL, keep it on those CPUs ("1", "2-3"; the kernel's list
 * syntax). Making a group that exists only sets its CPUs.
 */
int cgroup_create(const struct cgroup_fs *fs, const char *name, const char *cpus);
/* Move process pid (and later its children) into the group. */
int cgroup_attach(const struct cgroup_fs *fs, const char *name, pid_t pid);
/*
 * Remove the group and its parents up to (not including) the first
 * component, "perflab". Processes still in it are an error.
 */
int cgroup_remove(const struct cgroup_fs *fs, const char *name);

/* CPU time the group's processes used, since the group was made. */
struct cgroup_cpu {
	uint64_t usage_ns;	/* user + system */
	uint64_t user_ns;
	uint64_t system_ns;
};

/* Read the group's CPU time now. */
int cgroup_cpu_read(const struct cgroup_fs *fs, const char *name, struct cgroup_cpu *out);
/*
 * The CPUs the group may run on (its effective cpuset), as a count and
 * the kernel's list text (the caller frees). -1 when unknown.
 */
int cgroup_cpus(const struct cgroup_fs *fs, const char *name, char **list_out);
/* A CPU list ("0-3,6") as a count of CPUs; -1 when it is not one. */
int cpulist_count(const char *list);

#endif

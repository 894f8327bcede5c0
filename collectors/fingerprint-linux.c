/*
 * The host fingerprint on Linux: /proc, /sys, /etc/os-release and the
 * SIOCETHTOOL ioctl. Every path is read under a root prefix so tests can
 * hand in a fake tree; only the NIC ioctls need the real host.
 */
#ifdef __linux__
#include "collectors/fingerprint.h"
#include "collectors/fingerprint-os.h"
#include "common/json.h"
#include "common/sha256.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>

#define SYS_CPU "/sys/devices/system/cpu"
#define FP_MAX_VALUE (64 << 10)		/* bytes of one sysfs or procfs value */
#define FP_MAX_TEXT (16 << 20)		/* bytes of cpuinfo, modules (many CPUs) */

struct fp_ctx {
	const char *root;	/* prefix of every path: "" on this host */
	int sock;		/* for SIOCETHTOOL, or -1 (under a test root) */
};

static char *vpath(const struct fp_ctx *c, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, c->root);
	strbuf_vaddf(&sb, fmt, ap);
	return strbuf_detach(&sb, NULL);
}

static char *path_of(const struct fp_ctx *c, const char *fmt, ...) PRINTF(2, 3);
static char *path_of(const struct fp_ctx *c, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = vpath(c, fmt, ap);
	va_end(ap);
	return p;
}

/* A whole file, as the kernel wrote it; NULL when it cannot be read. */
static char *text_of(const struct fp_ctx *c, size_t max, const char *path)
{
	char *full = path_of(c, "%s", path);
	char *s = read_file(full, max, NULL);

	free(full);
	return s;
}

/* One value, normalized (fp_squeeze): NULL when unreadable or empty. */
static char *rd(const struct fp_ctx *c, const char *fmt, ...) PRINTF(2, 3);
static char *rd(const struct fp_ctx *c, const char *fmt, ...)
{
	va_list ap;
	char *full, *s;

	va_start(ap, fmt);
	full = vpath(c, fmt, ap);
	va_end(ap);
	s = read_file(full, FP_MAX_VALUE, NULL);
	free(full);
	return fp_squeeze(s);
}

/* obj[key] = value (null for NULL); frees value. */
static void put(json_t *obj, const char *key, char *value)
{
	json_set_str(obj, key, value);
	free(value);
}

/* obj[key] = value as a non-negative integer, else null; frees value. */
static void put_count(json_t *obj, const char *key, char *value)
{
	char *end;
	long long v = value ? strtoll(value, &end, 10) : -1;

	if (value && (end == value || *end || v < 0))
		v = -1;
	json_set(obj, key, v >= 0 ? json_integer(v) : json_null());
	free(value);
}

/* The last component of a symlink's target ("virtio_net"), or NULL. */
static char *link_name(const struct fp_ctx *c, const char *fmt, ...) PRINTF(2, 3);
static char *link_name(const struct fp_ctx *c, const char *fmt, ...)
{
	char buf[PATH_MAX], *slash, *full;
	va_list ap;
	ssize_t n;

	va_start(ap, fmt);
	full = vpath(c, fmt, ap);
	va_end(ap);
	n = readlink(full, buf, sizeof(buf) - 1);
	free(full);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	return fp_squeeze(xstrdup(slash ? slash + 1 : buf));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_list(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A directory's entries, sorted, without dot files. -1 when unreadable. */
static int list_dir(const struct fp_ctx *c, const char *path, char ***out)
{
	char *full = path_of(c, "%s", path);
	DIR *d = opendir(full);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, alloc = 0;

	free(full);
	*out = NULL;
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		ALLOC_GROW(v, n + 1, alloc);
		v[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	return (int)n;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* PRETTY_NAME of os-release, unquoted. */
static char *os_name(const struct fp_ctx *c)
{
	char *text = text_of(c, FP_MAX_VALUE, "/etc/os-release");
	char *name = NULL;

	if (!text)
		text = text_of(c, FP_MAX_VALUE, "/usr/lib/os-release");
	for (char *line = text, *next; line && *line; line = next) {
		char *v = line + 12;
		size_t n;

		next = strchrnul(line, '\n');
		if (*next)
			*next++ = '\0';
		if (strncmp(line, "PRETTY_NAME=", 12))
			continue;
		n = strlen(v);
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v[n - 1] = '\0';
			v++;
		}
		free(name);
		name = fp_squeeze(xstrdup(v));
	}
	free(text);
	return name;
}

static json_t *os_json(const struct fp_ctx *c)
{
	json_t *o = json_object();
	struct utsname u;

	put(o, "name", os_name(c));
	put(o, "type", rd(c, "/proc/sys/kernel/ostype"));
	if (!*c->root && !uname(&u))
		json_set_str(o, "machine", u.machine);
	else
		put(o, "machine", rd(c, "/proc/sys/kernel/arch"));
	return o;
}

/*
 * The kernel command line without what changes at every boot of a VM
 * DUT (perflab.nonce=, lab/vm.c): a fingerprint says what differs in
 * how the host is set up, not which boot it is.
 */
static char *cmdline(const struct fp_ctx *c)
{
	char *text = rd(c, "/proc/cmdline"), *out;
	struct strbuf sb = STRBUF_INIT;

	if (!text)
		return NULL;
	for (char *w = strtok(text, " "); w; w = strtok(NULL, " "))
		if (strncmp(w, "perflab.nonce=", 14))
			strbuf_addf(&sb, "%s%s", sb.len ? " " : "", w);
	free(text);
	out = strbuf_detach(&sb, NULL);
	return out;
}

/* The running kernel's configuration, by content (CONFIG_IKCONFIG_PROC). */
static char *config_hash(const struct fp_ctx *c)
{
	char *path = path_of(c, "/proc/config.gz"), hex[SHA256_HEX];
	int bad = sha256_file_hex(path, hex);

	free(path);
	return bad ? NULL : xstrdup(hex);
}

static json_t *kernel_json(const struct fp_ctx *c)
{
	json_t *o = json_object();

	put(o, "release", rd(c, "/proc/sys/kernel/osrelease"));
	put(o, "version", rd(c, "/proc/sys/kernel/version"));
	put(o, "cmdline", cmdline(c));
	put(o, "config_sha256", config_hash(c));
	return o;
}

static json_t *cpu_json(const struct fp_ctx *c)
{
	static const char *const keys[] = {
		"model", "vendor", "family", "model_id", "stepping", "microcode"
	};
	json_t *o = json_object();
	char *info = text_of(c, FP_MAX_TEXT, "/proc/cpuinfo");

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		json_set(o, keys[i], json_null());
	if (info)
		fingerprint_cpuinfo(o, info);
	free(info);
	put(o, "smt_active", rd(c, SYS_CPU "/smt/active"));
	put(o, "smt_control", rd(c, SYS_CPU "/smt/control"));
	put(o, "online", rd(c, SYS_CPU "/online"));
	put(o, "numa_nodes", rd(c, "/sys/devices/system/node/online"));
	return o;
}

/*
 * One cpufreq policy: what decides the clock of its CPUs. The driver is
 * left out: Linux has one cpufreq driver, recorded once. Limits in kHz.
 */
static json_t *policy_json(const struct fp_ctx *c, int n)
{
	static const char dir[] = SYS_CPU "/cpufreq/policy";
	json_t *o = json_object();

	put(o, "governor", rd(c, "%s%d/scaling_governor", dir, n));
	put(o, "epp", rd(c, "%s%d/energy_performance_preference", dir, n));
	put_count(o, "min_khz", rd(c, "%s%d/cpuinfo_min_freq", dir, n));
	put_count(o, "max_khz", rd(c, "%s%d/cpuinfo_max_freq", dir, n));
	put_count(o, "scaling_min_khz", rd(c, "%s%d/scaling_min_freq", dir, n));
	put_count(o, "scaling_max_khz", rd(c, "%s%d/scaling_max_freq", dir, n));
	put(o, "available_khz", rd(c, "%s%d/scaling_available_frequencies", dir, n));
	return o;
}

/* The numbers of the cpufreq policies (policy0, policy4, ...), ascending. */
static int policy_numbers(const struct fp_ctx *c, int **out)
{
	char **names;
	int n = list_dir(c, SYS_CPU "/cpufreq", &names), k = 0;
	int *v = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*v));

	for (int i = 0; i < n; i++) {
		char *end;
		long p;

		if (strncmp(names[i], "policy", 6))
			continue;
		p = strtol(names[i] + 6, &end, 10);
		if (end != names[i] + 6 && !*end && p >= 0 && p < INT_MAX)
			v[k++] = (int)p;
	}
	free_list(names, n);
	qsort(v, (size_t)k, sizeof(*v), cmp_int);
	*out = v;
	return k;
}

/* Policies with equal settings, kept once under all their numbers. */
struct policy_group {
	json_t *o;	/* the settings they share */
	int *n;		/* their numbers, ascending */
	size_t nr, alloc;
};

static size_t group_policies(const struct fp_ctx *c, const int *num, int n,
			     struct policy_group **out)
{
	struct policy_group *g = NULL;
	size_t ng = 0, alloc = 0;

	for (int i = 0; i < n; i++) {
		json_t *o = policy_json(c, num[i]);
		size_t k = 0;

		while (k < ng && !json_equal(g[k].o, o))
			k++;
		if (k == ng) {
			ALLOC_GROW(g, ng + 1, alloc);
			memset(&g[ng++], 0, sizeof(*g));
			g[k].o = json_incref(o);
		}
		json_decref(o);
		ALLOC_GROW(g[k].n, g[k].nr + 1, g[k].alloc);
		g[k].n[g[k].nr++] = num[i];
	}
	*out = g;
	return ng;
}

/* The distinct values of key across the groups, sorted: "performance, powersave". */
static char *distinct_of(const struct policy_group *g, size_t ng, const char *key)
{
	const char **v = xcalloc(ng + 1, sizeof(*v));
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0;

	for (size_t i = 0; i < ng; i++)
		if (json_get_str(g[i].o, key))
			v[n++] = json_get_str(g[i].o, key);
	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++)
		if (!i || strcmp(v[i], v[i - 1]))
			strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", v[i]);
	free(v);
	return sb.len ? strbuf_detach(&sb, NULL) : NULL;
}

static void policies_into(const struct fp_ctx *c, json_t *cf)
{
	struct policy_group *g;
	int *num, n = policy_numbers(c, &num);
	size_t ng = group_policies(c, num, n, &g);
	json_t *all = ng ? json_object() : json_null();

	put(cf, "driver", n ? rd(c, SYS_CPU "/cpufreq/policy%d/scaling_driver", num[0]) : NULL);
	put(cf, "governor", distinct_of(g, ng, "governor"));
	put(cf, "epp", distinct_of(g, ng, "epp"));
	for (size_t i = 0; i < ng; i++) {
		struct strbuf key = STRBUF_INIT;

		fingerprint_ranges(&key, g[i].n, g[i].nr);
		json_object_set_new(all, key.buf, g[i].o);
		strbuf_release(&key);
		free(g[i].n);
	}
	json_set(cf, "policies", all);
	free(g);
	free(num);
}

static json_t *cpufreq_json(const struct fp_ctx *c)
{
	json_t *o = json_object();

	policies_into(c, o);
	put(o, "intel_pstate_status", rd(c, SYS_CPU "/intel_pstate/status"));
	put(o, "intel_pstate_no_turbo", rd(c, SYS_CPU "/intel_pstate/no_turbo"));
	put(o, "amd_pstate_status", rd(c, SYS_CPU "/amd_pstate/status"));
	put(o, "boost", rd(c, SYS_CPU "/cpufreq/boost"));
	return o;
}

/* cpu0's idle states in order, "POLL C1 C6(disabled)"; NULL when none. */
static char *idle_states(const struct fp_ctx *c)
{
	struct strbuf sb = STRBUF_INIT;

	for (int i = 0; i < 64; i++) {
		char *name = rd(c, SYS_CPU "/cpu0/cpuidle/state%d/name", i);
		char *off;

		if (!name)
			break;
		off = rd(c, SYS_CPU "/cpu0/cpuidle/state%d/disable", i);
		strbuf_addf(&sb, "%s%s%s", sb.len ? " " : "", name,
			    off && strcmp(off, "0") ? "(disabled)" : "");
		free(name);
		free(off);
	}
	if (!sb.len)
		return NULL;
	return strbuf_detach(&sb, NULL);
}

static json_t *cpuidle_json(const struct fp_ctx *c)
{
	json_t *o = json_object();
	char *gov = rd(c, SYS_CPU "/cpuidle/current_governor");

	put(o, "driver", rd(c, SYS_CPU "/cpuidle/current_driver"));
	put(o, "governor", gov ? gov : rd(c, SYS_CPU "/cpuidle/current_governor_ro"));
	put(o, "states", idle_states(c));
	return o;
}

static json_t *clocksource_json(const struct fp_ctx *c)
{
	static const char dir[] = "/sys/devices/system/clocksource/clocksource0";
	json_t *o = json_object();

	put(o, "current", rd(c, "%s/current_clocksource", dir));
	put(o, "available", rd(c, "%s/available_clocksource", dir));
	return o;
}

static json_t *mitigations_json(const struct fp_ctx *c)
{
	char **names;
	int n = list_dir(c, SYS_CPU "/vulnerabilities", &names);
	json_t *o;

	if (n < 0)
		return json_null();
	o = json_object();
	for (int i = 0; i < n; i++)
		put(o, names[i], rd(c, SYS_CPU "/vulnerabilities/%s", names[i]));
	free_list(names, n);
	return o;
}

static json_t *tcp_json(const struct fp_ctx *c)
{
	json_t *o = json_object();
	char *avail = rd(c, "/proc/sys/net/ipv4/tcp_available_congestion_control");

	put(o, "congestion_control", rd(c, "/proc/sys/net/ipv4/tcp_congestion_control"));
	json_set(o, "available_congestion_control", fp_words(avail));
	free(avail);
	return o;
}

/*
 * The sysctls that move network performance: socket buffer limits and
 * defaults, accept and backlog queues, the TCP options negotiated on
 * every connection, the default qdisc and busy polling; plus swapping.
 * Every kernel.sched_* that exists is added to these.
 */
static const char *const sysctls[] = {
	"net.core.rmem_max", "net.core.wmem_max", "net.core.rmem_default",
	"net.core.wmem_default", "net.core.somaxconn", "net.core.netdev_max_backlog",
	"net.core.netdev_budget", "net.core.default_qdisc", "net.core.busy_poll",
	"net.core.busy_read", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem", "net.ipv4.tcp_mem",
	"net.ipv4.tcp_autocorking", "net.ipv4.tcp_tw_reuse", "net.ipv4.tcp_abort_on_overflow",
	"net.ipv4.tcp_syncookies", "net.ipv4.tcp_timestamps", "net.ipv4.tcp_sack",
	"net.ipv4.tcp_ecn", "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat",
	"net.ipv4.ip_local_port_range", "vm.swappiness",
};

static char *sysctl_value(const struct fp_ctx *c, const char *name)
{
	char *rel = xstrdup(name), *v;

	for (char *p = rel; *p; p++)
		if (*p == '.')
			*p = '/';
	v = rd(c, "/proc/sys/%s", rel);
	free(rel);
	return v;
}

static json_t *sysctl_json(const struct fp_ctx *c)
{
	json_t *o = json_object();
	char **names;
	int n = list_dir(c, "/proc/sys/kernel", &names);

	for (size_t i = 0; i < ARRAY_SIZE(sysctls); i++)
		put(o, sysctls[i], sysctl_value(c, sysctls[i]));
	for (int i = 0; i < n; i++) {
		char *key = xasprintf("kernel.%s", names[i]);

		if (!strncmp(names[i], "sched_", 6))
			put(o, key, sysctl_value(c, key));
		free(key);
	}
	free_list(names, n);
	put(o, "mm.transparent_hugepage.enabled",
	    fp_choice(rd(c, "/sys/kernel/mm/transparent_hugepage/enabled")));
	put(o, "mm.transparent_hugepage.defrag",
	    fp_choice(rd(c, "/sys/kernel/mm/transparent_hugepage/defrag")));
	return o;
}

static int ethtool_cmd(const struct fp_ctx *c, const char *ifname, void *cmd)
{
	struct ifreq ifr;
	size_t len = strlen(ifname);

	if (c->sock < 0 || len >= IFNAMSIZ)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, len);
	ifr.ifr_data = cmd;
	return ioctl(c->sock, SIOCETHTOOL, &ifr);
}

/* A drvinfo field; "" and "N/A" are how drivers say there is none. */
static char *drvinfo_str(const char *s, size_t size)
{
	char *v = fp_squeeze(xstrndup(s, size));

	if (v && !strcmp(v, "N/A")) {
		free(v);
		return NULL;
	}
	return v;
}

static void nic_drvinfo(const struct fp_ctx *c, const char *ifname, json_t *o)
{
	struct ethtool_drvinfo di;
	char *drv = NULL, *bus = NULL;
	int ok;

	memset(&di, 0, sizeof(di));
	di.cmd = ETHTOOL_GDRVINFO;
	ok = !ethtool_cmd(c, ifname, &di);
	if (ok) {
		drv = drvinfo_str(di.driver, sizeof(di.driver));
		bus = drvinfo_str(di.bus_info, sizeof(di.bus_info));
	}
	put(o, "driver", drv ? drv : link_name(c, "/sys/class/net/%s/device/driver", ifname));
	put(o, "driver_version", ok ? drvinfo_str(di.version, sizeof(di.version)) : NULL);
	put(o, "firmware", ok ? drvinfo_str(di.fw_version, sizeof(di.fw_version)) : NULL);
	put(o, "bus", bus ? bus : link_name(c, "/sys/class/net/%s/device", ifname));
}

static const struct {
	uint32_t cmd;
	const char *name;
} offload_cmds[] = {
	{ ETHTOOL_GRXCSUM, "rx-checksum" }, { ETHTOOL_GTXCSUM, "tx-checksum" },
	{ ETHTOOL_GSG, "scatter-gather" }, { ETHTOOL_GTSO, "tso" },
	{ ETHTOOL_GGSO, "gso" }, { ETHTOOL_GGRO, "gro" },
};

static const struct {
	uint32_t flag;
	const char *name;
} offload_flags[] = {
	{ ETH_FLAG_LRO, "lro" }, { ETH_FLAG_RXHASH, "rxhash" }, { ETH_FLAG_NTUPLE, "ntuple" },
};

/* The offloads worth knowing, each on, off or null (the driver would not say). */
static json_t *offloads_json(const struct fp_ctx *c, const char *ifname)
{
	struct ethtool_value v;
	json_t *o;
	int ok;

	if (c->sock < 0)
		return json_null();
	o = json_object();
	for (size_t i = 0; i < ARRAY_SIZE(offload_cmds); i++) {
		v.cmd = offload_cmds[i].cmd;
		v.data = 0;
		ok = !ethtool_cmd(c, ifname, &v);
		json_set(o, offload_cmds[i].name, ok ? json_boolean(v.data) : json_null());
	}
	v.cmd = ETHTOOL_GFLAGS;
	v.data = 0;
	ok = !ethtool_cmd(c, ifname, &v);
	for (size_t i = 0; i < ARRAY_SIZE(offload_flags); i++)
		json_set(o, offload_flags[i].name,
			 ok ? json_boolean(v.data & offload_flags[i].flag) : json_null());
	return o;
}

static void nic_rings(const struct fp_ctx *c, const char *ifname, json_t *o)
{
	struct ethtool_ringparam r;
	int ok;

	memset(&r, 0, sizeof(r));
	r.cmd = ETHTOOL_GRINGPARAM;
	ok = !ethtool_cmd(c, ifname, &r);
	json_set(o, "ring_rx", ok && r.rx_pending ? json_integer(r.rx_pending) : json_null());
	json_set(o, "ring_tx", ok && r.tx_pending ? json_integer(r.tx_pending) : json_null());
}

static void nic_queues(const struct fp_ctx *c, const char *ifname, json_t *o)
{
	char **q, *dir = xasprintf("/sys/class/net/%s/queues", ifname);
	int n = list_dir(c, dir, &q), rx = 0, tx = 0;

	for (int i = 0; i < n; i++) {
		rx += !strncmp(q[i], "rx-", 3);
		tx += !strncmp(q[i], "tx-", 3);
	}
	json_set(o, "rx_queues", n < 0 ? json_null() : json_integer(rx));
	json_set(o, "tx_queues", n < 0 ? json_null() : json_integer(tx));
	free_list(q, n);
	free(dir);
}

static json_t *nic_json(const struct fp_ctx *c, const char *ifname)
{
	static const char dir[] = "/sys/class/net";
	json_t *o = json_object();
	char *dev = path_of(c, "%s/%s/device", dir, ifname);

	json_set(o, "virtual", json_boolean(access(dev, F_OK) != 0));
	free(dev);
	nic_drvinfo(c, ifname, o);
	put_count(o, "mtu", rd(c, "%s/%s/mtu", dir, ifname));
	put_count(o, "tx_queue_len", rd(c, "%s/%s/tx_queue_len", dir, ifname));
	put_count(o, "speed_mbps", rd(c, "%s/%s/speed", dir, ifname));
	nic_queues(c, ifname, o);
	nic_rings(c, ifname, o);
	put(o, "gro_flush_timeout", rd(c, "%s/%s/gro_flush_timeout", dir, ifname));
	put(o, "napi_defer_hard_irqs", rd(c, "%s/%s/napi_defer_hard_irqs", dir, ifname));
	put(o, "threaded", rd(c, "%s/%s/threaded", dir, ifname));
	json_set(o, "offloads", offloads_json(c, ifname));
	return o;
}

static json_t *nics_json(const struct fp_ctx *c)
{
	char **names;
	int n = list_dir(c, "/sys/class/net", &names);
	json_t *o;

	if (n < 0)
		return json_null();
	o = json_object();
	for (int i = 0; i < n; i++) {
		char *p = path_of(c, "/sys/class/net/%s", names[i]);
		struct stat st;

		/* bonding_masters and the like are files, not interfaces */
		if (strcmp(names[i], "lo") && !stat(p, &st) && S_ISDIR(st.st_mode))
			json_set(o, names[i], nic_json(c, names[i]));
		free(p);
	}
	free_list(names, n);
	return o;
}

static json_t *modules_json(const struct fp_ctx *c)
{
	char *text = text_of(c, FP_MAX_TEXT, "/proc/modules");
	struct strbuf names = STRBUF_INIT;
	json_t *v;

	if (!text)
		return json_null();
	for (char *line = text; *line; ) {
		size_t n = strcspn(line, " \t\n");

		strbuf_add(&names, line, n);
		strbuf_addch(&names, ' ');
		line += strcspn(line, "\n");
		line += *line == '\n';
	}
	v = fp_words(names.buf);
	strbuf_release(&names);
	free(text);
	return v;
}

static json_t *devices_json(const struct fp_ctx *c)
{
	char **buses;
	int nb = list_dir(c, "/sys/bus", &buses);
	struct fp_devices *d;

	if (nb < 0)
		return json_null();
	d = fp_devices_new();
	for (int b = 0; b < nb; b++) {
		char **devs, *dir = xasprintf("/sys/bus/%s/devices", buses[b]);
		int n = list_dir(c, dir, &devs);

		for (int i = 0; i < n; i++) {
			char *drv = link_name(c, "%s/%s/driver", dir, devs[i]);

			fp_devices_add(d, buses[b], devs[i], drv);
			free(drv);
		}
		free_list(devs, n);
		free(dir);
	}
	free_list(buses, nb);
	return fp_devices_finish(d);
}

void fingerprint_os_take(json_t *fp, const char *root)
{
	struct fp_ctx c = { root, -1 };

	if (!*root) {
		c.sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (c.sock < 0)	/* no IPv4: any socket reaches the ethtool ioctls */
			c.sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	}
	json_set(fp, "os", os_json(&c));
	json_set(fp, "kernel", kernel_json(&c));
	json_set(fp, "cpu", cpu_json(&c));
	json_set(fp, "cpufreq", cpufreq_json(&c));
	json_set(fp, "cpuidle", cpuidle_json(&c));
	json_set(fp, "clocksource", clocksource_json(&c));
	json_set(fp, "mitigations", mitigations_json(&c));
	json_set(fp, "tcp", tcp_json(&c));
	json_set(fp, "sysctl", sysctl_json(&c));
	json_set(fp, "nics", nics_json(&c));
	json_set(fp, "modules", modules_json(&c));
	json_set(fp, "devices", devices_json(&c));
	if (c.sock >= 0)
		close(c.sock);
}
#endif

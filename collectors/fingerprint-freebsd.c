/*
 * The host fingerprint on FreeBSD, from sysctls and kldstat. The keys
 * are Linux's where the meaning is the same (cpufreq.driver is
 * dev.cpufreq.0.freq_driver), so a diff ranks both alike. The root
 * prefix of tests does not apply here: sysctls have no file tree.
 */
#ifdef __FreeBSD__
#include "collectors/fingerprint.h"
#include "collectors/fingerprint-os.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <sys/types.h>
#include <sys/param.h>
#include <sys/linker.h>
#include <sys/sysctl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define FP_MAX_VALUE (64 << 10)	/* bytes of one sysctl value */

/* The CTLTYPE of a sysctl, from the sysctl.oidfmt node ({ 0, 4 }) as sysctl(8) asks. */
static int sysctl_kind(const char *name, u_int *kind)
{
	int mib[CTL_MAXNAME + 2];
	size_t miblen = CTL_MAXNAME, len;
	char buf[256];

	if (sysctlnametomib(name, mib + 2, &miblen))
		return -1;
	mib[0] = 0;	/* CTL_SYSCTL */
	mib[1] = 4;	/* CTL_SYSCTL_OIDFMT */
	len = sizeof(buf);
	if (sysctl(mib, (u_int)miblen + 2, buf, &len, NULL, 0) || len < sizeof(*kind))
		return -1;
	memcpy(kind, buf, sizeof(*kind));
	return 0;
}

/* The raw bytes of a sysctl, NUL-terminated; NULL when it does not exist. */
static char *sysctl_bytes(const char *name, size_t *len)
{
	char *buf;

	*len = 0;
	if (sysctlbyname(name, NULL, len, NULL, 0) || *len > FP_MAX_VALUE)
		return NULL;
	buf = xcalloc(1, *len + 1);
	if (sysctlbyname(name, buf, len, NULL, 0)) {
		free(buf);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

/* A number sysctl of kind as decimal text, or NULL. */
static char *number_text(u_int kind, const char *buf, size_t len)
{
	int i;
	u_int u;
	long l;
	u_long ul;
	int64_t s64;
	uint64_t u64;

	switch (kind & CTLTYPE) {
	case CTLTYPE_INT: if (len < sizeof(i)) break;
		memcpy(&i, buf, sizeof(i)); return xasprintf("%d", i);
	case CTLTYPE_UINT: if (len < sizeof(u)) break;
		memcpy(&u, buf, sizeof(u)); return xasprintf("%u", u);
	case CTLTYPE_LONG: if (len < sizeof(l)) break;
		memcpy(&l, buf, sizeof(l)); return xasprintf("%ld", l);
	case CTLTYPE_ULONG: if (len < sizeof(ul)) break;
		memcpy(&ul, buf, sizeof(ul)); return xasprintf("%lu", ul);
	case CTLTYPE_S64: if (len < sizeof(s64)) break;
		memcpy(&s64, buf, sizeof(s64)); return xasprintf("%" PRId64, s64);
	case CTLTYPE_U64: if (len < sizeof(u64)) break;
		memcpy(&u64, buf, sizeof(u64)); return xasprintf("%" PRIu64, u64);
	}
	return NULL;
}

/* A sysctl as text (strings as they are, numbers in decimal), or NULL. */
static char *sysctl_raw(const char *name)
{
	u_int kind;
	size_t len;
	char *buf, *out;

	if (sysctl_kind(name, &kind) || !(buf = sysctl_bytes(name, &len)))
		return NULL;
	if ((kind & CTLTYPE) == CTLTYPE_STRING)
		return buf;
	out = number_text(kind, buf, len);
	free(buf);
	return out;
}

static char *sc(const char *name)
{
	return fp_squeeze(sysctl_raw(name));
}

static void put(json_t *obj, const char *key, char *value)
{
	json_set_str(obj, key, value);
	free(value);
}

/*
 * The names in a table sysctl (functions_available, cc.available):
 * the first word of each line or comma-separated item, without the
 * header and without the per-stack PCB counts, which change by the
 * second.
 */
static json_t *table_names(const char *name)
{
	char *text = sysctl_raw(name), *save = NULL;
	struct strbuf names = STRBUF_INIT;
	json_t *v;

	if (!text)
		return json_null();
	for (char *item = strtok_r(text, "\n,", &save); item; item = strtok_r(NULL, "\n,", &save)) {
		size_t skip = strspn(item, " \t"), n = strcspn(item + skip, " \t");

		if (!n || !strncmp(item + skip, "Stack", n) || !strncmp(item + skip, "CCmod", n))
			continue;
		strbuf_add(&names, item + skip, n);
		strbuf_addch(&names, ' ');
	}
	v = fp_words(names.buf);
	strbuf_release(&names);
	free(text);
	return v;
}

static json_t *os_json(void)
{
	json_t *o = json_object();
	char *type = sc("kern.ostype"), *rel = sc("kern.osrelease");

	put(o, "name", type && rel ? xasprintf("%s %s", type, rel) : NULL);
	put(o, "type", type);
	put(o, "machine", sc("hw.machine_arch"));
	free(rel);
	return o;
}

static json_t *kernel_json(void)
{
	json_t *o = json_object();

	put(o, "release", sc("kern.osrelease"));
	put(o, "version", sc("kern.version"));
	put(o, "ident", sc("kern.ident"));
	json_set(o, "cmdline", json_null());
	return o;
}

static json_t *cpu_json(void)
{
	json_t *o = json_object();
	char *ncpu = sc("hw.ncpu"), *tpc = sc("kern.smp.threads_per_core");
	long n = ncpu ? strtol(ncpu, NULL, 10) : 0;

	put(o, "model", sc("hw.model"));
	json_set(o, "microcode", json_null());
	put(o, "smt_active", tpc ? xstrdup(atoi(tpc) > 1 ? "1" : "0") : NULL);
	put(o, "smt_control", sc("machdep.hyperthreading_allowed"));
	put(o, "online", n > 1 ? xasprintf("0-%ld", n - 1) : n == 1 ? xstrdup("0") : NULL);
	put(o, "numa_nodes", sc("vm.ndomains"));
	free(ncpu);
	free(tpc);
	return o;
}

/* A different freq_driver (p4tcc instead of est) is the cause this exists for. */
static json_t *cpufreq_json(void)
{
	json_t *o = json_object();

	put(o, "driver", sc("dev.cpufreq.0.freq_driver"));
	put(o, "levels", sc("dev.cpu.0.freq_levels"));
	put(o, "epp", sc("dev.hwpstate_intel.0.epp"));
	json_set(o, "governor", json_null());	/* powerd runs in user space */
	json_set(o, "policies", json_null());
	return o;
}

static json_t *cpuidle_json(void)
{
	json_t *o = json_object();

	put(o, "states", sc("dev.cpu.0.cx_supported"));
	put(o, "cx_lowest", sc("dev.cpu.0.cx_lowest"));
	put(o, "cx_method", sc("dev.cpu.0.cx_method"));
	return o;
}

static json_t *clocksource_json(void)
{
	json_t *o = json_object();

	put(o, "current", sc("kern.timecounter.hardware"));
	put(o, "available", sc("kern.timecounter.choice"));
	return o;
}

static json_t *named_sysctls(const char *const *names, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++)
		put(o, names[i], sc(names[i]));
	return o;
}

static const char *const mitigations[] = {
	"hw.ibrs_active", "hw.ibrs_disable", "vm.pmap.pti", "hw.mds_disable_state",
	"hw.spec_store_bypass_disable_active", "machdep.mitigations.taa.state",
	"machdep.mitigations.rngds.state",
};

/* The counterparts of Linux's list: buffers, queues, TCP options, dispatch. */
static const char *const sysctls[] = {
	"kern.ipc.maxsockbuf", "kern.ipc.soacceptqueue", "net.inet.tcp.sendspace",
	"net.inet.tcp.recvspace", "net.inet.tcp.sendbuf_max", "net.inet.tcp.recvbuf_max",
	"net.inet.tcp.sendbuf_auto", "net.inet.tcp.recvbuf_auto", "net.inet.tcp.tso",
	"net.inet.tcp.sack.enable", "net.inet.tcp.ecn.enable", "net.inet.tcp.rfc1323",
	"net.inet.tcp.syncookies", "net.inet.ip.portrange.first", "net.inet.ip.portrange.last",
	"net.isr.dispatch", "kern.hz",
};

static json_t *tcp_json(void)
{
	json_t *o = json_object();

	put(o, "stack", sc("net.inet.tcp.functions_default"));
	json_set(o, "available_stacks", table_names("net.inet.tcp.functions_available"));
	put(o, "congestion_control", sc("net.inet.tcp.cc.algorithm"));
	json_set(o, "available_congestion_control", table_names("net.inet.tcp.cc.available"));
	return o;
}

/* The loaded kernel files by name (kldstat), sorted. */
static json_t *modules_json(void)
{
	struct strbuf names = STRBUF_INIT;
	json_t *v;

	for (int id = kldnext(0); id > 0; id = kldnext(id)) {
		struct kld_file_stat st;

		memset(&st, 0, sizeof(st));
		st.version = sizeof(st);
		if (kldstat(id, &st) == 0)
			strbuf_addf(&names, "%.*s ", (int)sizeof(st.name), st.name);
	}
	v = fp_words(names.buf);
	strbuf_release(&names);
	return v;
}

void fingerprint_os_take(json_t *fp, const char *root)
{
	json_set(fp, "os", os_json());
	json_set(fp, "kernel", kernel_json());
	json_set(fp, "cpu", cpu_json());
	json_set(fp, "cpufreq", cpufreq_json());
	json_set(fp, "cpuidle", cpuidle_json());
	json_set(fp, "clocksource", clocksource_json());
	json_set(fp, "mitigations", named_sysctls(mitigations, ARRAY_SIZE(mitigations)));
	json_set(fp, "tcp", tcp_json());
	json_set(fp, "sysctl", named_sysctls(sysctls, ARRAY_SIZE(sysctls)));
	/* NEEDSWORK: NICs (SIOCGIFCAP, dev.<driver>.<unit>.%driver) and devinfo(3) devices. */
	json_set(fp, "nics", json_null());
	json_set(fp, "modules", modules_json());
	json_set(fp, "devices", json_null());
}
#endif

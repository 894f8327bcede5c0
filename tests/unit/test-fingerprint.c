#include "tests/unit/test.h"
#include "collectors/fingerprint.h"
#include "collectors/fingerprint-os.h"
#include "verdict/fpdiff.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/sha256.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <libgen.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <unistd.h>

static const char *sha(const char *data, size_t len)
{
	static char hex[SHA256_HEX];

	sha256_hex(data, len, hex);
	return hex;
}

TEST(sha256, fips_vectors)
{
	static const char two_blocks[] =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char *million = xmalloc(1000000);

	CHECK_STR(sha("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_STR(sha("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_STR(sha(two_blocks, strlen(two_blocks)),
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(million, 'a', 1000000);
	CHECK_STR(sha(million, 1000000),
		  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

TEST(sha256, pieces_equal_the_whole)
{
	char data[300], whole[SHA256_HEX];
	static const size_t steps[] = { 1, 55, 56, 63, 64, 65, 128 };

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + 3);
	sha256_hex(data, sizeof(data), whole);
	for (size_t s = 0; s < ARRAY_SIZE(steps); s++) {
		struct sha256 c;
		unsigned char d[SHA256_BYTES];
		char hex[SHA256_HEX];

		sha256_init(&c);
		for (size_t off = 0; off < sizeof(data); off += steps[s])
			sha256_update(&c, data + off, off + steps[s] > sizeof(data) ?
				      sizeof(data) - off : steps[s]);
		sha256_final(&c, d);
		for (int i = 0; i < SHA256_BYTES; i++)
			snprintf(hex + 2 * i, 3, "%02x", d[i]);
		CHECK_STR(hex, whole);
	}
}

static char *squeezed(const char *s)
{
	static char buf[256];
	char *v = fp_squeeze(xstrdup(s));

	snprintf(buf, sizeof(buf), "%s", v ? v : "(null)");
	free(v);
	return buf;
}

TEST(fingerprint, values_are_normalized)
{
	CHECK_STR(squeezed("  4096\t131072\n6291456\n"), "4096 131072 6291456");
	CHECK_STR(squeezed("\x01" "a\x02\x7f" "b"), "a b");
	CHECK_STR(squeezed(""), "(null)");	/* empty is null, never "" */
	CHECK_STR(squeezed(" \n\t "), "(null)");
	CHECK(fp_squeeze(NULL) == NULL);
}

TEST(fingerprint, ranges_and_choices)
{
	struct strbuf sb = STRBUF_INIT;
	static const int v[] = { 0, 1, 2, 5, 7, 8 };
	char *c = xstrdup("always [madvise] never");

	fingerprint_ranges(&sb, v, ARRAY_SIZE(v));
	CHECK_STR(sb.buf, "0-2,5,7-8");
	strbuf_reset(&sb);
	fingerprint_ranges(&sb, v, 0);
	CHECK_STR(sb.buf, "");
	strbuf_release(&sb);
	c = fp_choice(c);
	CHECK_STR(c, "madvise");
	free(c);
	c = fp_choice(xstrdup("plain [unterminated"));
	CHECK_STR(c, "plain [unterminated");
	free(c);
	CHECK(fp_choice(fp_squeeze(xstrdup("[ ]"))) == NULL);
}

static const char cpuinfo_x86[] =
	"processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
	"model name\t: Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz\nstepping\t: 4\n"
	"microcode\t: 0x2006e05\ncpu MHz\t\t: 2095.078\nbogomips\t: 4190.15\n\n"
	"processor\t: 1\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
	"model name\t: Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz\nstepping\t: 4\n"
	"microcode\t: 0x2006a08\ncpu MHz\t\t: 1000.000\n";

TEST(fingerprint, cpuinfo_keeps_identity_not_clocks)
{
	json_t *cpu = json_object();
	char *dump;

	fingerprint_cpuinfo(cpu, cpuinfo_x86);
	CHECK_STR(json_get_str(cpu, "model"), "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz");
	CHECK_STR(json_get_str(cpu, "vendor"), "GenuineIntel");
	CHECK_STR(json_get_str(cpu, "model_id"), "85");
	/* CPUs that disagree on microcode: both values, sorted */
	CHECK_STR(json_get_str(cpu, "microcode"), "0x2006a08, 0x2006e05");
	dump = json_dump_compact(cpu);
	CHECK(!strstr(dump, "2095") && !strstr(dump, "4190"));	/* no MHz, no bogomips */
	free(dump);
	json_decref(cpu);
}

TEST(fingerprint, cpuinfo_of_arm_and_of_garbage)
{
	json_t *cpu = json_object();
	struct strbuf many = STRBUF_INIT;

	fingerprint_cpuinfo(cpu, "processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c");
	CHECK_STR(json_get_str(cpu, "vendor"), "0x41");
	CHECK_STR(json_get_str(cpu, "model_id"), "0xd0c");	/* no newline at the end */
	json_decref(cpu);
	cpu = json_object();
	fingerprint_cpuinfo(cpu, "no colon here\n:\nmicrocode:\n\x01\x02:\xff\n");
	CHECK_INT(json_object_size(cpu), 0);
	for (int i = 0; i < 100; i++)
		strbuf_addf(&many, "microcode : 0x%d\n", i);
	fingerprint_cpuinfo(cpu, many.buf);
	CHECK_CONTAINS(json_get_str(cpu, "microcode"), ", ...");
	CHECK(strlen(json_get_str(cpu, "microcode")) < 100);
	strbuf_release(&many);
	json_decref(cpu);
}

TEST(fingerprint, devices_are_summarized_but_addresses_kept)
{
	struct fp_devices *d = fp_devices_new();
	json_t *o;
	char name[32];

	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "memory%d", i);
		fp_devices_add(d, "memory", name, NULL);
	}
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "cpu%d", i);
		fp_devices_add(d, "cpu", name, "processor");
	}
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "0000:00:%02x.0", i);
		fp_devices_add(d, "pci", name, "virtio-pci");
	}
	fp_devices_add(d, "memory", "memory10", "odd");
	o = fp_devices_finish(d);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(o, "memory/memory*"), "(none)")), 10);
	CHECK_STR(json_string_value(json_object_get(o, "memory/memory10")), "odd");
	CHECK_STR(json_string_value(json_object_get(o, "cpu/cpu2")), "processor");
	CHECK_STR(json_string_value(json_object_get(o, "pci/0000:00:05.0")), "virtio-pci");
	CHECK_INT(json_object_size(o), 1 + 1 + 3 + 6);
	json_decref(o);
}

/* Write root/rel (creating directories), like sysfs would hold it. */
static void put_file(const char *root, const char *rel, const char *content)
{
	char *path = xasprintf("%s/%s", root, rel), *dir = xstrdup(path);

	mkdir_p(dirname(dir));
	if (write_file_atomic(path, content, strlen(content), 0))
		test_fail(__FILE__, __LINE__, "cannot write '%s'", path);
	free(dir);
	free(path);
}

static void put_link(const char *root, const char *rel, const char *target)
{
	char *path = xasprintf("%s/%s", root, rel), *dir = xstrdup(path);

	mkdir_p(dirname(dir));
	if (symlink(target, path))
		test_fail(__FILE__, __LINE__, "cannot link '%s'", path);
	free(dir);
	free(path);
}

#define CPU "sys/devices/system/cpu/"

static void fake_cpu(const char *r)
{
	put_file(r, "proc/cpuinfo", cpuinfo_x86);
	put_file(r, CPU "smt/active", "1\n");
	put_file(r, CPU "online", "0-3\n");
	for (int i = 0; i < 4; i++) {
		char p[128];

		snprintf(p, sizeof(p), CPU "cpufreq/policy%d/scaling_driver", i);
		put_file(r, p, "intel_pstate\n");
		snprintf(p, sizeof(p), CPU "cpufreq/policy%d/scaling_governor", i);
		put_file(r, p, i == 2 ? "performance\n" : "powersave\n");
		snprintf(p, sizeof(p), CPU "cpufreq/policy%d/cpuinfo_max_freq", i);
		put_file(r, p, "3700000\n");
	}
	put_file(r, CPU "intel_pstate/status", "active\n");
	put_file(r, CPU "cpuidle/current_driver", "intel_idle\n");
	put_file(r, CPU "cpuidle/current_governor_ro", "menu\n");
	put_file(r, CPU "cpu0/cpuidle/state0/name", "POLL\n");
	put_file(r, CPU "cpu0/cpuidle/state1/name", "C6\n");
	put_file(r, CPU "cpu0/cpuidle/state1/disable", "1\n");
	put_file(r, CPU "vulnerabilities/meltdown", "Not affected\n");
	put_file(r, CPU "vulnerabilities/spectre_v2", "Mitigation: Retpolines;\tIBPB: conditional\n");
}

static void fake_net(const char *r)
{
	put_file(r, "proc/sys/net/ipv4/tcp_congestion_control", "cubic\n");
	put_file(r, "proc/sys/net/ipv4/tcp_available_congestion_control", "reno cubic bbr\n");
	put_file(r, "proc/sys/net/ipv4/tcp_rmem", "4096\t131072\t6291456\n");
	put_file(r, "proc/sys/net/core/default_qdisc", "");
	put_file(r, "proc/sys/kernel/sched_rr_timeslice_ms", "100\n");
	put_file(r, "proc/sys/kernel/panic", "1\n");
	put_file(r, "sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
	put_file(r, "sys/class/net/lo/mtu", "65536\n");
	put_file(r, "sys/class/net/bonding_masters", "\n");
	put_file(r, "sys/class/net/eth0/mtu", "9000\n");
	put_file(r, "sys/class/net/eth0/speed", "25000\n");
	put_file(r, "sys/class/net/eth0/queues/rx-0/rps_cpus", "0\n");
	put_file(r, "sys/class/net/eth0/queues/rx-1/rps_cpus", "0\n");
	put_file(r, "sys/class/net/eth0/queues/tx-0/xps_cpus", "0\n");
	put_file(r, "sys/class/net/eth0/device/vendor", "0x8086\n");
	put_link(r, "sys/class/net/eth0/device/driver", "../../../bus/pci/drivers/ixgbe");
	put_file(r, "sys/class/net/veth0/mtu", "1500\n");
	put_file(r, "sys/class/net/veth0/speed", "-1\n");
}

static void fake_tree(const char *r)
{
	char name[128];

	put_file(r, "proc/sys/kernel/osrelease", "6.1.0-test\n");
	put_file(r, "proc/sys/kernel/ostype", "Linux\n");
	put_file(r, "proc/cmdline", "BOOT_IMAGE=/vmlinuz  quiet\n");
	put_file(r, "etc/os-release", "NAME=x\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n");
	put_file(r, "proc/modules", "tcp_bbr 20480 1 - Live 0x0\nixgbe 1 0 - Live 0x0\n");
	fake_cpu(r);
	fake_net(r);
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "sys/bus/memory/devices/memory%d/online", i);
		put_file(r, name, "1\n");
	}
	put_file(r, "sys/bus/pci/devices/0000:00:00.0/vendor", "0x8086\n");
	put_link(r, "sys/bus/pci/devices/0000:00:1f.2/driver", "../../../bus/pci/drivers/ahci");
}

TEST(fingerprint, a_fake_tree)
{
	const char *r = test_tmpdir();
	json_t *fp;

	fake_tree(r);
	fp = fingerprint_take_at(r);
	CHECK(!fingerprint_check(fp, "fake"));
	CHECK_INT(json_get_num(fp, "fingerprint_version"), FINGERPRINT_VERSION);
	CHECK_STR(json_get_str(fp, "os.name"), "Debian GNU/Linux 12 (bookworm)");
	CHECK_STR(json_get_str(fp, "kernel.release"), "6.1.0-test");
	CHECK_STR(json_get_str(fp, "kernel.cmdline"), "BOOT_IMAGE=/vmlinuz quiet");
	CHECK(json_is_null(json_get(fp, "kernel.version")));	/* unreadable: null */
	CHECK_STR(json_get_str(fp, "cpu.smt_active"), "1");
	CHECK_STR(json_get_str(fp, "cpufreq.driver"), "intel_pstate");
	CHECK_STR(json_get_str(fp, "cpufreq.governor"), "performance, powersave");
	CHECK_STR(json_get_str(fp, "cpufreq.policies.0-1,3.governor"), "powersave");
	CHECK_STR(json_get_str(fp, "cpufreq.policies.2.governor"), "performance");
	CHECK_INT(json_get_num(fp, "cpufreq.policies.2.max_khz"), 3700000);
	CHECK(json_is_null(json_get(fp, "cpufreq.policies.2.min_khz")));
	CHECK_STR(json_get_str(fp, "cpufreq.intel_pstate_status"), "active");
	CHECK(json_is_null(json_get(fp, "cpufreq.amd_pstate_status")));
	CHECK_STR(json_get_str(fp, "cpuidle.driver"), "intel_idle");
	CHECK_STR(json_get_str(fp, "cpuidle.governor"), "menu");
	CHECK_STR(json_get_str(fp, "cpuidle.states"), "POLL C6(disabled)");
	CHECK(json_is_null(json_get(fp, "clocksource.current")));
	json_decref(fp);
}

TEST(fingerprint, a_fake_tree_network_and_devices)
{
	const char *r = test_tmpdir();
	json_t *fp, *again;
	const json_t *v;

	fake_tree(r);
	fp = fingerprint_take_at(r);
	CHECK_STR(json_get_str(fp, "mitigations.spectre_v2"), "Mitigation: Retpolines; IBPB: conditional");
	v = json_get(fp, "tcp.available_congestion_control");
	CHECK_INT(json_array_size(v), 3);
	CHECK_STR(json_string_value(json_array_get(v, 0)), "bbr");
	CHECK_STR(json_string_value(json_object_get(json_object_get(fp, "sysctl"), "net.ipv4.tcp_rmem")),
		  "4096 131072 6291456");
	CHECK(json_is_null(json_object_get(json_object_get(fp, "sysctl"), "net.core.default_qdisc")));
	CHECK(json_is_null(json_object_get(json_object_get(fp, "sysctl"), "net.core.rmem_max")));
	CHECK(json_object_get(json_object_get(fp, "sysctl"), "kernel.sched_rr_timeslice_ms"));
	CHECK(!json_object_get(json_object_get(fp, "sysctl"), "kernel.panic"));
	CHECK_STR(json_string_value(json_object_get(json_object_get(fp, "sysctl"),
						    "mm.transparent_hugepage.enabled")), "madvise");
	CHECK(!json_get(fp, "nics.lo") && !json_get(fp, "nics.bonding_masters"));
	CHECK_STR(json_get_str(fp, "nics.eth0.driver"), "ixgbe");
	CHECK(json_is_false(json_get(fp, "nics.eth0.virtual")));
	CHECK_INT(json_get_num(fp, "nics.eth0.rx_queues"), 2);
	CHECK_INT(json_get_num(fp, "nics.eth0.speed_mbps"), 25000);
	CHECK(json_is_null(json_get(fp, "nics.eth0.offloads")));	/* no ioctls under a root */
	CHECK(json_is_true(json_get(fp, "nics.veth0.virtual")));
	CHECK(json_is_null(json_get(fp, "nics.veth0.driver")));
	CHECK(json_is_null(json_get(fp, "nics.veth0.speed_mbps")));	/* -1 is null */
	CHECK_STR(json_string_value(json_array_get(json_object_get(fp, "modules"), 0)), "ixgbe");
	CHECK_INT(json_get_num(json_object_get(json_object_get(fp, "devices"), "memory/memory*"),
			       "(none)"), 5);
	CHECK_STR(json_string_value(json_object_get(json_object_get(fp, "devices"),
						    "pci/0000:00:1f.2")), "ahci");
	CHECK(json_is_null(json_object_get(json_object_get(fp, "devices"), "pci/0000:00:00.0")));
	again = fingerprint_take_at(r);
	CHECK(json_equal(fp, again));
	json_decref(again);
	json_decref(fp);
}

TEST(fingerprint, an_empty_tree_is_all_null)
{
	json_t *fp = fingerprint_take_at(test_tmpdir());
	const char *key;
	json_t *v;
	char *dump = json_dump_compact(fp);

	CHECK(!fingerprint_check(fp, "empty"));
	CHECK(json_is_null(json_object_get(fp, "modules")));
	CHECK(json_is_null(json_object_get(fp, "devices")));
	CHECK(json_is_null(json_get(fp, "cpufreq.driver")));
	CHECK(!strstr(dump, "\"\""));	/* never "" */
	CHECK(!strstr(dump, ":0,") && !strstr(dump, ":0}"));	/* never 0 for unknown */
	json_object_foreach(json_object_get(fp, "kernel"), key, v)
		CHECK(json_is_null(v));
	free(dump);
	json_decref(fp);
}

TEST(fingerprint, this_host)
{
	json_t *fp = fingerprint_take(), *again = fingerprint_take(), *back;
	struct utsname u;
	char *online = fp_squeeze(read_file("/sys/devices/system/cpu/online", 4096, NULL));
	char *pol = read_file("/sys/devices/system/cpu/cpufreq/policy0/scaling_driver", 4096, NULL);
	char h1[SHA256_HEX], h2[SHA256_HEX], *s;

	REQUIRE(!uname(&u));
	CHECK(!fingerprint_check(fp, "this host"));
	CHECK_STR(json_get_str(fp, "kernel.release"), u.release);
	CHECK_STR(json_get_str(fp, "os.machine"), u.machine);
	if (online)
		CHECK_STR(json_get_str(fp, "cpu.online"), online);
	CHECK(!pol == json_is_null(json_get(fp, "cpufreq.driver")));
	/* nothing volatile: two takes are equal, and so are their hashes */
	CHECK(json_equal(fp, again));
	fingerprint_hash(fp, h1);
	s = json_dump_pretty(fp);
	back = json_loads(s, 0, NULL);
	fingerprint_hash(back, h2);
	CHECK_STR(h1, h2);
	free(s);
	free(online);
	free(pol);
	json_decref(back);
	json_decref(again);
	json_decref(fp);
}

TEST(fingerprint, nic_driver_agrees_with_sysfs)
{
	json_t *fp = fingerprint_take();
	const char *key;
	json_t *nic;
	int checked = 0;

	json_object_foreach(json_object_get(fp, "nics"), key, nic) {
		char *p = xasprintf("/sys/class/net/%s/device/driver", key), buf[256];
		ssize_t n = readlink(p, buf, sizeof(buf) - 1);

		if (n > 0) {
			buf[n] = '\0';
			CHECK_STR(json_get_str(nic, "driver"), strrchr(buf, '/') + 1);
			checked++;
		}
		free(p);
	}
	if (!checked)
		test_skip("no NIC with a device driver link here");
	json_decref(fp);
}

TEST(fingerprint, write_is_atomic_and_never_overwrites)
{
	const char *dir = test_tmpdir();
	char *path = xasprintf("%s/fingerprint.json", dir);
	char hex[SHA256_HEX];
	json_t *fp;

	REQUIRE(!fingerprint_write(dir));
	fp = fingerprint_load(dir);
	REQUIRE(fp);
	fingerprint_hash(fp, hex);
	CHECK_STR(json_get_str(fp, "sha256"), hex);
	test_capture_start();
	CHECK(fingerprint_write(dir) < 0);
	CHECK_CONTAINS(test_captured(), "refusing to overwrite");
	test_capture_end();
	json_decref(fp);
	fp = json_load_path(path);
	CHECK(fp && !fingerprint_check(fp, path));
	json_decref(fp);
	free(path);
}

/* Parse text, expect an error mentioning want. */
static void check_bad(const char *text, size_t len, const char *want)
{
	json_t *fp;

	test_capture_start();
	fp = fingerprint_parse(text, len, "t.json");
	if (fp)
		test_fail(__FILE__, __LINE__, "accepted: %.60s", text);
	CHECK_CONTAINS(test_captured(), "'t.json'");
	CHECK_CONTAINS(test_captured(), want);
	test_capture_end();
	json_decref(fp);
}

#define BAD(text, want) check_bad(text, sizeof(text) - 1, want)

TEST(fingerprint, reader_refuses_bad_input)
{
	BAD("{\"fingerprint_version\": 1, \"kernel\": {\"rel", "not JSON");
	BAD("", "not JSON");
	BAD("\x7f" "ELF\x01\x00\x00\xff", "not JSON");
	BAD("[1, 2]", "a JSON array, not an object");
	BAD("42", "a JSON integer");
	BAD("{\"run_id\": \"x\", \"status\": \"complete\"}", "no 'fingerprint_version'");
	BAD("{\"fingerprint_version\": 2}", "version 2 is not supported");
	BAD("{\"fingerprint_version\": \"1\"}", "'fingerprint_version' is of type string");
	BAD("{\"fingerprint_version\": 1, \"cpufreq\": \"intel_pstate\"}", "'cpufreq' is of type string");
	BAD("{\"fingerprint_version\": 1, \"cpufreq\": {\"driver\": [1]}}", "'cpufreq.driver'");
	BAD("{\"fingerprint_version\": 1, \"kernel\": {\"release\": {\"a\": 1}}}", "'kernel.release'");
	BAD("{\"fingerprint_version\": 1, \"sysctl\": {\"vm.swappiness\": 60}}",
	    "'sysctl.vm.swappiness' is of type integer, expected a string or null");
	BAD("{\"fingerprint_version\": 1, \"modules\": [\"a\", 1]}", "'modules'");
	BAD("{\"fingerprint_version\": 1, \"devices\": {\"pci/x\": {\"d\": \"1\"}}}", "'devices.pci/x'");
	BAD("{\"fingerprint_version\": 1, \"sha256\": 5}", "'sha256'");
	BAD("{\"fingerprint_version\": 1, \"fingerprint_version\": 1}", "duplicate");
}

TEST(fingerprint, reader_accepts_unknown_members)
{
	static const char text[] = "{\"fingerprint_version\": 1, \"future\": {\"x\": [{\"y\": 1}]},"
		"\"cpu\": {\"model\": \"m\", \"new_field\": true}, \"modules\": null}";
	json_t *fp = fingerprint_parse(text, sizeof(text) - 1, "t.json");

	CHECK(fp != NULL);
	json_decref(fp);
}

TEST(fingerprint, load_names_the_file)
{
	const char *dir = test_tmpdir();
	char *huge = xasprintf("%s/huge.json", dir), *rundir = xasprintf("%s/run", dir);
	FILE *f = fopen(huge, "w");

	REQUIRE(f);
	fputs("{\"fingerprint_version\": 1, \"pad\": \"", f);
	for (int i = 0; i < 17 * 1024; i++)
		fprintf(f, "%01024d", 0);
	fputs("\"}", f);
	fclose(f);
	mkdir_p(rundir);
	test_capture_start();
	CHECK(!fingerprint_load(huge));
	CHECK_CONTAINS(test_captured(), "huge.json");
	CHECK(!fingerprint_load(rundir));
	CHECK_CONTAINS(test_captured(), "run directory '");
	CHECK_CONTAINS(test_captured(), "/run' has no fingerprint.json");
	CHECK(!fingerprint_load("/nonexistent/fp.json"));
	CHECK_CONTAINS(test_captured(), "cannot read fingerprint '/nonexistent/fp.json'");
	test_capture_end();
	free(huge);
	free(rundir);
}

/* A small fingerprint as a test base; edits follow in each test. */
static json_t *base_fp(void)
{
	static const char text[] = "{\"fingerprint_version\": 1,"
		"\"kernel\": {\"release\": \"6.1.0\", \"cmdline\": \"quiet\", \"version\": \"#1\"},"
		"\"cpu\": {\"microcode\": \"0x1\", \"smt_active\": \"1\", \"model\": \"X\"},"
		"\"cpufreq\": {\"driver\": \"intel_pstate\", \"governor\": \"powersave\","
		"  \"policies\": {\"0-3\": {\"governor\": \"powersave\", \"max_khz\": 3700000}}},"
		"\"cpuidle\": {\"driver\": \"intel_idle\"}, \"clocksource\": {\"current\": \"tsc\"},"
		"\"mitigations\": {\"meltdown\": \"Not affected\"},"
		"\"tcp\": {\"congestion_control\": \"cubic\"},"
		"\"sysctl\": {\"net.core.rmem_max\": \"212992\", \"vm.swappiness\": \"60\"},"
		"\"nics\": {\"eth0\": {\"driver\": \"ixgbe\", \"firmware\": \"1.0\", \"mtu\": 1500}},"
		"\"modules\": [\"ixgbe\", \"tcp_bbr\"], \"devices\": {\"pci/0000:00:1f.2\": \"ahci\"}}";
	json_t *fp = fingerprint_parse(text, sizeof(text) - 1, "base");

	if (!fp)
		die("the test base fingerprint does not parse");
	return fp;
}

static void set_path(json_t *fp, const char *section, const char *key, json_t *v)
{
	json_object_set_new(json_object_get(fp, section), key, v);
}

TEST(fpdiff, identical_and_null_equals_absent)
{
	json_t *a = base_fp(), *b = base_fp();
	struct fp_diff d;

	fp_diff_compute(&d, a, b);
	CHECK_INT(d.nr, 0);
	CHECK(fp_diff_alert(&d) == NULL);
	fp_diff_release(&d);
	set_path(a, "cpu", "new_field", json_null());	/* absent in b */
	json_object_set_new(b, "sha256", json_string("stale"));
	fp_diff_compute(&d, a, b);
	CHECK_INT(d.nr, 0);
	fp_diff_release(&d);
	json_decref(a);
	json_decref(b);
}

TEST(fpdiff, only_the_driver_changed)
{
	json_t *a = base_fp(), *b = base_fp();
	struct fp_diff d;
	char *alert;

	set_path(b, "cpufreq", "driver", json_string("acpi-cpufreq"));
	fp_diff_compute(&d, a, b);
	REQUIRE(d.nr == 1);
	CHECK_STR(d.v[0].path, "cpufreq.driver");
	CHECK_STR(d.v[0].what, "frequency driver");
	CHECK_INT(d.v[0].rank, 0);
	alert = fp_diff_alert(&d);
	CHECK_CONTAINS(alert, "intel_pstate -> acpi-cpufreq");
	CHECK_CONTAINS(alert, "the CPU may now run at a different clock");
	free(alert);
	fp_diff_release(&d);
	json_decref(a);
	json_decref(b);
}

TEST(fpdiff, many_changes_in_rank_order)
{
	static const char *const want[] = {
		"cpufreq.driver", "cpufreq.policies.0-3.governor", "cpuidle.driver",
		"cpu.microcode", "kernel.release", "sysctl.net.core.rmem_max",
		"nics.eth0.firmware", "modules", "devices.pci/0000:00:1f.2",
	};
	json_t *a = base_fp(), *b = base_fp();
	struct fp_diff d;

	/* edited in an order unlike the ranks, so sorting shows */
	set_path(b, "devices", "pci/0000:00:1f.2", json_null());
	json_array_append_new(json_object_get(b, "modules"), json_string("sch_fq"));
	set_path(b, "sysctl", "net.core.rmem_max", json_string("4194304"));
	set_path(b, "kernel", "release", json_string("6.2.0"));
	set_path(b, "nics", "eth0", json_pack("{s:s,s:s,s:i}", "driver", "ixgbe",
					      "firmware", "2.0", "mtu", 1500));
	set_path(b, "cpu", "microcode", json_string("0x2"));
	set_path(b, "cpuidle", "driver", json_string("acpi_idle"));
	json_object_set_new((json_t *)json_get(b, "cpufreq.policies.0-3"),
			    "governor", json_string("performance"));
	set_path(b, "cpufreq", "driver", json_string("acpi-cpufreq"));
	fp_diff_compute(&d, a, b);
	CHECK_INT(d.nr, ARRAY_SIZE(want));
	for (size_t i = 0; i < d.nr && i < ARRAY_SIZE(want); i++) {
		CHECK_STR(d.v[i].path, want[i]);
		if (i)
			CHECK(d.v[i].rank > d.v[i - 1].rank);
	}
	CHECK_INT(json_array_size(d.v[7].added), 1);
	CHECK_STR(json_string_value(json_array_get(d.v[7].added, 0)), "sch_fq");
	CHECK_INT(json_array_size(d.v[7].removed), 0);
	fp_diff_release(&d);
	json_decref(a);
	json_decref(b);
}

TEST(fpdiff, the_rank_table_follows_suspicion)
{
	static const char *const order[][2] = {
		{ "cpufreq", "driver" }, { "cpufreq", "governor" },
		{ "cpufreq", "intel_pstate_status" }, { "cpufreq", "epp" },
		{ "cpufreq", "policies.0-7.max_khz" }, { "cpuidle", "driver" },
		{ "cpuidle", "governor" }, { "cpu", "microcode" }, { "cpu", "smt_active" },
		{ "cpu", "model" }, { "clocksource", "current" }, { "kernel", "release" },
		{ "kernel", "cmdline" }, { "mitigations", "spectre_v2" },
		{ "tcp", "congestion_control" }, { "sysctl", "net.core.rmem_max" },
		{ "nics", "eth0.driver" }, { "nics", "eth0.firmware" },
		{ "nics", "eth0.offloads.tso" }, { "modules", "" },
		{ "devices", "pci/0000:00:1f.2" }, { "future", "x" },
	};
	const char *what;

	CHECK_INT(fp_diff_rank("cpufreq", "policies.0-3.governor", &what),
		  fp_diff_rank("cpufreq", "governor", NULL));
	CHECK_STR(what, "frequency governor");
	for (size_t i = 1; i < ARRAY_SIZE(order); i++)
		if (fp_diff_rank(order[i - 1][0], order[i - 1][1], NULL) >=
		    fp_diff_rank(order[i][0], order[i][1], NULL))
			test_fail(__FILE__, __LINE__, "'%s.%s' does not rank above '%s.%s'",
				  order[i - 1][0], order[i - 1][1], order[i][0], order[i][1]);
}

TEST(fpdiff, text_and_json_agree)
{
	json_t *a = base_fp(), *b = base_fp(), *j;
	struct fp_diff d;
	struct strbuf out = STRBUF_INIT;
	const char *p, *q;

	set_path(b, "kernel", "cmdline", json_string("quiet mitigations=off isolcpus=2-3 "
						       "nohz_full=2-3 rcu_nocbs=2-3 idle=poll"));
	set_path(a, "kernel", "cmdline", json_string("quiet isolcpus=2-3 nohz_full=2-3 "
						       "rcu_nocbs=2-3 idle=poll intel_pstate=passive"));
	set_path(b, "cpufreq", "driver", json_null());
	json_object_set_new(b, "modules", json_pack("[s]", "ixgbe"));
	fp_diff_compute(&d, a, b);
	fp_diff_format(&out, &d);
	CHECK(!strncmp(out.buf, "!!! the CPU frequency driver changed: intel_pstate -> (none)", 60));
	p = strstr(out.buf, "cpufreq.driver");
	q = strstr(out.buf, "kernel.cmdline");
	CHECK(p && q && p < q && q < strstr(out.buf, "modules"));
	CHECK_CONTAINS(out.buf, "-intel_pstate=passive +mitigations=off");
	CHECK_CONTAINS(out.buf, "-tcp_bbr");
	j = fp_diff_json(&d);
	CHECK_INT(json_array_size(json_object_get(j, "alerts")), 1);
	CHECK_STR(json_get_str(json_array_get(json_object_get(j, "changes"), 0), "path"),
		  "cpufreq.driver");
	CHECK(json_is_null(json_get(json_array_get(json_object_get(j, "changes"), 0), "b")));
	CHECK_STR(json_get_str(json_array_get(json_object_get(j, "changes"), 2), "path"), "modules");
	json_decref(j);
	strbuf_release(&out);
	fp_diff_release(&d);
	json_decref(a);
	json_decref(b);
}

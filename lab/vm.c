/*
 * QEMU DUTs (see vm.h): power on and off, the boot slot, readiness read
 * from the serial console, and the initramfs they boot.
 */
#include "lab/vm.h"
#include "common/cgroup.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/parse.h"
#include "common/spawn.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define QEMU "qemu-system-x86_64"
#define POLL_NS (50 * NSEC_PER_MSEC)

/*
 * In a child: one guest page holding a loop of ten million turns and a
 * HLT, one vCPU in real mode at 0, KVM_RUN. Hardware virtualisation runs
 * it in about 10 ms. A VM without nested virtualisation may still offer
 * a /dev/kvm that makes VMs and vCPUs but never runs them, or emulates
 * every instruction (it passes a bare HLT): the parent allows a second.
 */
static NORETURN void kvm_probe_child(void)
{
	struct kvm_userspace_memory_region reg = { 0 };
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };
	struct kvm_run *run;
	unsigned char *mem;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm, cpu;
	long size;

	if (fd < 0)
		_exit(10);
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm < 0 || mem == MAP_FAILED)
		_exit(11);
	static const unsigned char code[] = {
		0x66, 0xb9, 0x80, 0x96, 0x98, 0x00,	/* mov ecx, 10000000 */
		0x66, 0x49,				/* dec ecx */
		0x75, 0xfc,				/* jnz (dec ecx) */
		0xf4					/* hlt */
	};

	memcpy(mem, code, sizeof(code));
	reg.memory_size = 0x1000;
	reg.userspace_addr = (uint64_t)(uintptr_t)mem;
	cpu = ioctl(vm, KVM_SET_USER_MEMORY_REGION, &reg) ? -1 : ioctl(vm, KVM_CREATE_VCPU, 0);
	size = cpu < 0 ? -1 : ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		_exit(12);
	run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
	if (run == MAP_FAILED || ioctl(cpu, KVM_GET_SREGS, &sregs))
		_exit(13);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	regs.rip = 0;
	regs.rflags = 2;
	if (ioctl(cpu, KVM_SET_SREGS, &sregs) || ioctl(cpu, KVM_SET_REGS, &regs) ||
	    ioctl(cpu, KVM_RUN, 0))
		_exit(14);
	_exit(run->exit_reason == KVM_EXIT_HLT ? 0 : 15);
}

int vm_kvm_usable(char *why, size_t len)
{
	uint64_t deadline;
	int status = -1;
	pid_t pid;

	if (access("/dev/kvm", R_OK | W_OK)) {
		snprintf(why, len, "/dev/kvm: %s", strerror(errno));
		return 0;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return 0;
	}
	if (!pid)
		kvm_probe_child();
	deadline = mono_ns() + NSEC_PER_SEC;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (mono_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(why, len, "/dev/kvm makes a VM but does not run it at hardware "
				 "speed (a VM without nested virtualisation)");
			return 0;
		}
		sleep_ns(10 * NSEC_PER_MSEC);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 1;
	snprintf(why, len, "/dev/kvm cannot run a guest (probe step %d)",
		 WIFEXITED(status) ? WEXITSTATUS(status) - 10 : -1);
	return 0;
}

/* ---- vm.json ---- */

int vm_spec_save(const struct vm_spec *v)
{
	json_t *o = json_object();
	char *path = xasprintf("%s/vm.json", v->dir);
	int ret;

	json_set_str(o, "name", v->name);
	json_set_str(o, "dir", v->dir);
	json_set_str(o, "netns", v->netns);
	json_set_str(o, "tap", v->tap);
	json_set_str(o, "mac", v->mac);
	json_set_str(o, "address", v->address);
	json_set_str(o, "initrd", v->initrd);
	json_set_int(o, "mem_mb", v->mem_mb);
	json_set_int(o, "smp", v->smp);
	json_set_str(o, "accel", v->accel);
	json_set_str(o, "cgroup", v->cgroup);
	ret = json_write_file(path, o, 0);
	json_decref(o);
	free(path);
	return ret;
}

static int take(char **out, const json_t *o, const char *key, const char *path)
{
	const char *s = json_get_str(o, key);

	if (!s || !*s)
		return error("'%s': no '%s'", path, key);
	*out = xstrdup(s);
	return 0;
}

int vm_spec_load(struct vm_spec *v, const char *dir)
{
	char *path = xasprintf("%s/vm.json", dir);
	json_t *o = json_load_path(path);
	int ret = -1;

	memset(v, 0, sizeof(*v));
	if (o && !take(&v->name, o, "name", path) && !take(&v->netns, o, "netns", path) &&
	    !take(&v->tap, o, "tap", path) && !take(&v->mac, o, "mac", path) &&
	    !take(&v->address, o, "address", path) && !take(&v->initrd, o, "initrd", path) &&
	    !take(&v->accel, o, "accel", path)) {
		v->dir = xstrdup(dir);
		v->cgroup = xstrdup(json_get_str(o, "cgroup") ? json_get_str(o, "cgroup") : "");
		v->mem_mb = (long)json_get_num(o, "mem_mb");
		v->smp = (long)json_get_num(o, "smp");
		ret = v->mem_mb > 0 && v->smp > 0 ? 0 : error("'%s': no memory or CPUs", path);
	}
	json_decref(o);
	free(path);
	return ret;
}

void vm_spec_release(struct vm_spec *v)
{
	char **s[] = { &v->name, &v->dir, &v->netns, &v->tap, &v->mac, &v->address,
		       &v->initrd, &v->accel, &v->cgroup };

	for (size_t i = 0; i < ARRAY_SIZE(s); i++) {
		free(*s[i]);
		*s[i] = NULL;
	}
}

int vm_set_kernel(const char *dir, const char *kernel)
{
	char *slot = xasprintf("%s/kernel", dir);
	size_t len;
	char *data = read_file(kernel, 256u << 20, &len);
	int ret;

	if (!data) {
		free(slot);
		return error_errno("cannot read the kernel '%s'", kernel);
	}
	ret = write_file_atomic(slot, data, len, 0);
	free(data);
	free(slot);
	return ret;
}

/* ---- power ---- */

pid_t vm_pid(const char *dir)
{
	char *path = xasprintf("%s/qemu.pid", dir), *text = read_file(path, 64, NULL);
	char *stat_path, *st;
	long pid = text ? strtol(text, NULL, 10) : 0;
	int alive = 0;

	free(path);
	free(text);
	if (pid <= 1)
		return 0;
	/* a daemon reparented to a PID 1 that does not reap stays a zombie: gone */
	stat_path = xasprintf("/proc/%ld/stat", pid);
	st = read_file(stat_path, 4096, NULL);
	if (st && strrchr(st, ')'))
		alive = strrchr(st, ')')[2] != 'Z' && strstr(st, "(qemu-system-") != NULL;
	free(st);
	free(stat_path);
	return alive ? (pid_t)pid : 0;
}

int vm_join_cgroup(const struct vm_spec *v)
{
	struct cgroup_fs fs;
	pid_t pid = vm_pid(v->dir);
	int ret;

	if (!v->cgroup || !*v->cgroup)
		return 0;
	if (!pid || cgroup_fs_probe(&fs))
		return error("QEMU of VM '%s' cannot join cgroup '%s'", v->name, v->cgroup);
	ret = cgroup_attach(&fs, v->cgroup, pid);
	cgroup_fs_release(&fs);
	return ret;
}

int vm_power_off(const char *dir)
{
	pid_t pid = vm_pid(dir);
	char *path;

	for (int i = 0; pid && i < 40; i++) {
		kill(pid, i < 20 ? SIGTERM : SIGKILL);
		sleep_ns(POLL_NS);
		pid = vm_pid(dir);
	}
	if (pid)
		return error("QEMU (pid %ld) of VM '%s' does not die", (long)pid, dir);
	path = xasprintf("%s/qemu.pid", dir);
	unlink(path);
	free(path);
	return 0;
}

/* The kernel command line: console, panics stop the VM, the address, the knobs. */
static char *kernel_args(const struct vm_spec *v, const char *nonce)
{
	char *path = xasprintf("%s/cmdline", v->dir), *extra = read_file(path, 65536, NULL);
	char *args;

	if (extra)
		extra[strcspn(extra, "\n")] = '\0';
	args = xasprintf("console=ttyS0 panic=-1 quiet perflab.ip=%s perflab.host=%s "
			 "perflab.nonce=%s%s%s", v->address, v->name, nonce,
			 extra && *extra ? " " : "", extra ? extra : "");
	free(extra);
	free(path);
	return args;
}

static char **qemu_argv(const struct vm_spec *v, const char *nonce)
{
	struct strvec {
		char **v;
		size_t n;
	} a = { xcalloc(64, sizeof(char *)), 0 };
#define ADD(s) (a.v[a.n++] = (s))
	ADD(xstrdup(QEMU));
	ADD(xstrdup("-name"));
	ADD(xasprintf("perflab-%s", v->name));
	ADD(xstrdup("-accel"));
	ADD(xstrdup(v->accel));
	ADD(xstrdup("-cpu"));
	ADD(xstrdup(strcmp(v->accel, "kvm") ? "max" : "host"));
	ADD(xstrdup("-m"));
	ADD(xasprintf("%ldM", v->mem_mb));
	ADD(xstrdup("-smp"));
	ADD(xasprintf("%ld", v->smp));
	ADD(xstrdup("-nodefaults"));
	ADD(xstrdup("-no-user-config"));
	ADD(xstrdup("-display"));
	ADD(xstrdup("none"));
	ADD(xstrdup("-no-reboot"));
	ADD(xstrdup("-kernel"));
	ADD(xasprintf("%s/kernel", v->dir));
	ADD(xstrdup("-initrd"));
	ADD(xstrdup(v->initrd));
	ADD(xstrdup("-append"));
	ADD(kernel_args(v, nonce));
	ADD(xstrdup("-serial"));
	ADD(xasprintf("file:%s/console.log", v->dir));
	ADD(xstrdup("-qmp"));
	ADD(xasprintf("unix:%s/qmp.sock,server=on,wait=off", v->dir));
	ADD(xstrdup("-netdev"));
	ADD(xasprintf("tap,id=n0,ifname=%s,script=no,downscript=no", v->tap));
	ADD(xstrdup("-device"));
	ADD(xasprintf("virtio-net-pci,netdev=n0,mac=%s", v->mac));
	ADD(xstrdup("-pidfile"));
	ADD(xasprintf("%s/qemu.pid", v->dir));
	ADD(xstrdup("-daemonize"));
#undef ADD
	return a.v;
}

/* QEMU starts in the switch's network namespace, where its tap is. */
static NORETURN void qemu_child(const struct vm_spec *v, char **argv, const char *log)
{
	char *ns = xasprintf("/run/netns/%s", v->netns);
	int fd = open(ns, O_RDONLY | O_CLOEXEC), out = open(log, O_WRONLY | O_CREAT | O_TRUNC |
							     O_CLOEXEC, 0644);

	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		error_errno("cannot enter namespace '%s' for QEMU", v->netns);
		_exit(126);
	}
	if (out >= 0) {
		dup2(out, 1);
		dup2(out, 2);
	}
	execvp(argv[0], argv);
	fprintf(stderr, "cannot run '%s': %s\n", argv[0], strerror(errno));
	_exit(127);
}

int vm_power_on(const struct vm_spec *v, const char *nonce)
{
	char *console = xasprintf("%s/console.log", v->dir);
	char *log = xasprintf("%s/qemu.log", v->dir), *slot = xasprintf("%s/kernel", v->dir);
	char **argv = NULL;
	int status, ret = 0;
	pid_t pid;

	if (vm_pid(v->dir)) {
		ret = error("VM '%s' is on already", v->name);
		goto out;
	}
	if (!path_exists(slot)) {
		ret = error("VM '%s' has no kernel in its boot slot '%s'", v->name, slot);
		goto out;
	}
	if (write_file_atomic(console, "", 0, 0)) {
		ret = -1;
		goto out;
	}
	argv = qemu_argv(v, nonce);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		ret = error_errno("fork");
		goto out;
	}
	if (!pid)
		qemu_child(v, argv, log);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		char *text = read_file(log, 4096, NULL);

		ret = error("QEMU of VM '%s' did not start (status %d)%s%s", v->name, status,
			    text && *text ? ": " : "", text ? text : "");
		free(text);
	}
out:
	argv_free(argv);
	free(console);
	free(log);
	free(slot);
	return ret;
}

/* ---- boot ---- */

/* The console line holding needle, copied into why. */
static int console_line(const char *text, const char *needle, char *why, size_t len)
{
	const char *at = strstr(text, needle), *start, *end;

	if (!at)
		return 0;
	for (start = at; start > text && start[-1] != '\n'; start--)
		;
	end = strchr(at, '\n');
	snprintf(why, len, "%.*s", (int)((end ? end : at + strlen(at)) - start), start);
	return 1;
}

enum vm_boot vm_wait_ready(const char *dir, const char *nonce, double timeout,
			   char **boot_id, char *why, size_t len)
{
	char *path = xasprintf("%s/console.log", dir);
	char *want = xasprintf(" nonce=%s ", nonce);
	uint64_t deadline = mono_ns() + (uint64_t)(timeout * 1e9);
	enum vm_boot ret = VM_TIMEOUT;

	*boot_id = NULL;
	snprintf(why, len, "no ready line within %.0f s", timeout);
	while (mono_ns() < deadline) {
		char *text = read_file(path, 16u << 20, NULL);
		char line[512];

		if (text && console_line(text, want, line, sizeof(line)) &&
		    !strncmp(line, "perflab-ready ", 14)) {
			const char *b = strstr(line, "boot_id=");

			*boot_id = b ? xstrndup(b + 8, strcspn(b + 8, " ")) : xstrdup("?");
			snprintf(why, len, "%s", line);
			free(text);
			ret = VM_READY;
			break;
		}
		if (text && console_line(text, "Kernel panic", why, len)) {
			free(text);
			ret = VM_PANIC;
			break;
		}
		free(text);
		if (!vm_pid(dir)) {
			snprintf(why, len, "QEMU exited before the guest was ready");
			ret = VM_EXITED;
			break;
		}
		sleep_ns(POLL_NS);
	}
	free(want);
	free(path);
	return ret;
}

/* ---- the initramfs: a newc cpio ---- */

struct cpio {
	struct strbuf out;
	unsigned ino;
};

static void cpio_pad(struct cpio *c)
{
	while (c->out.len % 4)
		strbuf_addch(&c->out, '\0');
}

static void cpio_entry(struct cpio *c, const char *name, unsigned mode, unsigned rmaj,
		       unsigned rmin, const void *data, size_t size)
{
	strbuf_addf(&c->out, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		    ++c->ino, mode, 0u, 0u, 1u, 0u, (unsigned)size, 0u, 0u, rmaj, rmin,
		    (unsigned)strlen(name) + 1, 0u);
	strbuf_add(&c->out, name, strlen(name) + 1);
	cpio_pad(c);
	if (size)
		strbuf_add(&c->out, data, size);
	cpio_pad(c);
}

static void cpio_dir(struct cpio *c, const char *name, unsigned perm)
{
	cpio_entry(c, name, S_IFDIR | perm, 0, 0, NULL, 0);
}

static void cpio_text(struct cpio *c, const char *name, unsigned perm, const char *text)
{
	cpio_entry(c, name, S_IFREG | perm, 0, 0, text, strlen(text));
}

static int cpio_file(struct cpio *c, const char *name, unsigned perm, const char *src)
{
	size_t len;
	char *data = read_file(src, 512u << 20, &len);

	if (!data)
		return error_errno("cannot read '%s' for the initramfs", src);
	cpio_entry(c, name, S_IFREG | perm, 0, 0, data, len);
	free(data);
	return 0;
}

static void cpio_link(struct cpio *c, const char *name, const char *target)
{
	cpio_entry(c, name, S_IFLNK | 0777, 0, 0, target, strlen(target));
}

/*
 * The guest's PID 1: the address and name from the kernel command line,
 * dropbear, then "perflab-ready ... nonce=N ..." on the console once ssh
 * listens. Constant text: what varies comes from /proc/cmdline.
 */
static const char init_script[] =
	"#!/bin/sh\n"
	"# perflab VM DUT init (PID 1): perflab.ip=ADDR/PLEN perflab.host=NAME perflab.nonce=N\n"
	"export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root\n"
	"mount -t proc proc /proc\n"
	"mount -t sysfs sysfs /sys\n"
	"mount -t devtmpfs devtmpfs /dev\n"
	"mkdir -p /dev/pts /tmp /run /var/log\n"
	"mount -t devpts devpts /dev/pts\n"
	"mount -t tmpfs tmpfs /tmp\n"
	"ip= host=dut nonce=\n"
	"for a in $(cat /proc/cmdline); do\n"
	"\tcase $a in\n"
	"\tperflab.ip=*) ip=${a#*=} ;;\n"
	"\tperflab.host=*) host=${a#*=} ;;\n"
	"\tperflab.nonce=*) nonce=${a#*=} ;;\n"
	"\tperflab.sysctl=*) s=${a#*=}; sysctl -q -w \"${s%%:*}=$(echo \"${s#*:}\" | tr , ' ')\" ;;\n"
	"\tesac\n"
	"done\n"
	"hostname \"$host\"\n"
	"ip link set lo up\n"
	"[ -n \"$ip\" ] && ip addr add \"$ip\" dev eth0 && ip link set eth0 up\n"
	"dropbear -F -E -s -r /etc/dropbear/host_key -p 22 2>/dev/console &\n"
	"# ready when sshd listens: port 22 is 0016, LISTEN is 0A\n"
	"while ! grep -q '^ *[0-9]*: [0-9A-F]*:0016 [0-9A-F:]* 0A' /proc/net/tcp 2>/dev/null; do\n"
	"\tsleep 0.05\n"
	"done\n"
	"echo \"perflab-ready boot_id=$(cat /proc/sys/kernel/random/boot_id) nonce=$nonce "
	"host=$host kernel=$(uname -r) uptime=$(cut -d' ' -f1 /proc/uptime)\"\n"
	"# PID 1 never exits (that panics the kernel)\n"
	"while :; do sleep 3600; done\n";

/* busybox and a link for each of its applets ("bin/ash", "usr/bin/awk"). */
static int add_busybox(struct cpio *c)
{
	char *argv[] = { "busybox", "--list-full", NULL }, *bb = NULL;
	struct strbuf out = STRBUF_INIT;
	int ret;

	if (run_capture(argv, 30, &out))
		return error("busybox (busybox-static) is needed for the VMs' initramfs");
	bb = xstrdup("/bin/busybox");
	if (access(bb, X_OK)) {
		free(bb);
		bb = xstrdup("/usr/bin/busybox");
	}
	ret = cpio_file(c, "bin/busybox", 0755, bb);
	for (char *p = out.buf, *nl; !ret && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		if (*p && strcmp(p, "bin/busybox") && !strstr(p, ".."))
			cpio_link(c, p, "/bin/busybox");
	}
	strbuf_release(&out);
	free(bb);
	return ret;
}

/* dropbear and what ldd says it loads, at the same paths. */
static int add_dropbear(struct cpio *c)
{
	char *argv[] = { "ldd", "/usr/sbin/dropbear", NULL };
	struct strbuf out = STRBUF_INIT, dirs = STRBUF_INIT;
	int ret;

	if (access("/usr/sbin/dropbear", X_OK) || run_capture(argv, 30, &out))
		return error("dropbear (dropbear-bin) is needed for the VMs' initramfs");
	ret = cpio_file(c, "usr/sbin/dropbear", 0755, "/usr/sbin/dropbear");
	for (char *p = strchr(out.buf, '/'); !ret && p; p = strchr(p, '/')) {
		size_t n = strcspn(p, " \t\n");
		char *lib = xstrndup(p, n), *real = realpath(lib, NULL);

		/* parent directories once each: lib, lib/x86_64-linux-gnu, lib64 */
		for (char *s = strchr(lib + 1, '/'); s; s = strchr(s + 1, '/')) {
			char *d = xstrndup(lib + 1, (size_t)(s - lib - 1)), *key = xasprintf("|%s|", d);

			if (!strstr(dirs.buf, key)) {
				cpio_dir(c, d, 0755);
				strbuf_addstr(&dirs, key);
			}
			free(key);
			free(d);
		}
		ret = cpio_file(c, lib + 1, 0755, real ? real : lib);
		free(real);
		free(lib);
		p += n;
	}
	strbuf_release(&out);
	strbuf_release(&dirs);
	return ret;
}

int vm_make_initramfs(const char *out, const char *agent, const char *host_key,
		      const char *authorized_keys)
{
	static const char *const dirs[] = { "bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc",
		"etc/dropbear", "root", "root/.ssh", "root/perflab", "proc", "sys", "dev", "tmp",
		"run", "var", "var/log", NULL };
	struct cpio c = { STRBUF_INIT, 0 };
	int ret = 0;

	for (int i = 0; dirs[i]; i++)
		cpio_dir(&c, dirs[i], !strncmp(dirs[i], "root", 4) ? 0700 : 0755);
	cpio_entry(&c, "dev/console", S_IFCHR | 0600, 5, 1, NULL, 0);
	cpio_entry(&c, "dev/null", S_IFCHR | 0666, 1, 3, NULL, 0);
	cpio_text(&c, "init", 0755, init_script);
	cpio_text(&c, "etc/passwd", 0644, "root:x:0:0:root:/root:/bin/sh\n");
	cpio_text(&c, "etc/group", 0644, "root:x:0:\n");
	cpio_text(&c, "etc/shells", 0644, "/bin/sh\n");
	ret = add_busybox(&c) || add_dropbear(&c) ||
	      cpio_file(&c, "etc/dropbear/host_key", 0600, host_key) ||
	      cpio_file(&c, "root/.ssh/authorized_keys", 0600, authorized_keys) ||
	      cpio_file(&c, "root/perflab/perflab-agent", 0700, agent);
	if (!ret) {
		cpio_entry(&c, "TRAILER!!!", 0, 0, 0, NULL, 0);
		ret = write_file_atomic(out, c.out.buf, c.out.len, 0);
	}
	strbuf_release(&c.out);
	return ret;
}

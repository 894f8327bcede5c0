#include "lab/deploy.h"
#include "lab/runhost.h"
#include "lab/vm.h"
#include "lab/hosts.h"
#include "lab/transport.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/parse.h"
#include "common/spawn.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"

#include <libgen.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const server_names[] = { "perflab", "image", NULL };
static const char *const kind_names[] = { "commands", "kernel", "service", NULL };

#define D(name, type, field, lo, hi, ch, def, argh, help) \
	{ name, 0, type, offsetof(struct deploy_opts, field), lo, hi, ch, def, argh, help }

const struct opt deploy_table[] = {
	D("install", OPT_ARGV, install, 0, 0, NULL, NULL, "CMD",
	  "install the image, run on the DUT ({image} is its path there); default: the host's"),
	D("reboot", OPT_ARGV, reboot, 0, 0, NULL, NULL, "CMD",
	  "boot the installed image, run on the DUT; default: the host's"),
	D("ready", OPT_ARGV, ready, 0, 0, NULL, NULL, "CMD",
	  "run on the DUT after the reboot until it succeeds: the service is up"),
	D("boot_timeout", OPT_DURATION, boot_timeout, 0, 86400, NULL, "0", "SECS",
	  "time to come back and be ready, 0 = the host's boot_timeout"),
	D("server", OPT_CHOICE, server, 0, 0, server_names, "perflab", "WHO",
	  "who answers the workload on the DUT: perflab (load server) or image (its own service)"),
	D("port", OPT_INT, port, 0, 65535, NULL, "0", "PORT",
	  "the image's service port, with server = image"),
	D("cmdline", OPT_STRING, cmdline, 0, 0, NULL, "", "ARGS",
	  "kind = kernel: extra kernel arguments for the VM's boot (perflab.sysctl=NAME:VALUE "
	  "sets a sysctl before the guest is ready)"),
	D("kind", OPT_CHOICE, kind, 0, 0, kind_names, "commands", "KIND",
	  "commands: install, reboot (a new boot is required, whatever its exit) and ready as "
	  "given; service: the same, but reboot only restarts a service (the same boot will "
	  "do); kernel: the image is the kernel a VM DUT boots (lab up --vm)"),
	OPT_END_ROW
};

#define REBOOT_CMD_TIMEOUT 120.0	/* a reboot command that hangs is given up on */
#define POLL_NS (500 * NSEC_PER_MSEC)

char **argv_substitute(char *const *argv, const char *const *vars)
{
	char **out = xcalloc((size_t)argv_len(argv) + 1, sizeof(*out));

	for (int i = 0; argv[i]; i++) {
		struct strbuf sb = STRBUF_INIT;

		for (const char *p = argv[i]; *p; ) {
			int hit = 0;

			for (int k = 0; *p == '{' && vars[k]; k += 2) {
				size_t n = strlen(vars[k]);

				if (!strncmp(p + 1, vars[k], n) && p[1 + n] == '}') {
					strbuf_addstr(&sb, vars[k + 1]);
					p += n + 2;
					hit = 1;
					break;
				}
			}
			if (!hit)
				strbuf_addch(&sb, *p++);
		}
		out[i] = strbuf_detach(&sb, NULL);
	}
	return out;
}

static void fail(struct deploy_result *r, int outcome, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct deploy_result *r, int outcome, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	error("%s", sb.buf);
	r->outcome = outcome;
	free(r->why);
	r->why = strbuf_detach(&sb, NULL);
}

/* The placeholders of host commands, filled for this host and image. */
static char **host_command(const struct transport *t, char *const *argv, const char *image,
			   const char *commit)
{
	const struct host *h = t->h;
	char port[16];
	const char *vars[] = { "host", h->name, "address", h->address, "user", h->user,
			       "port", port, "image", image ? image : "", "commit",
			       commit ? commit : "", "workdir", h->workdir, NULL };

	snprintf(port, sizeof(port), "%ld", h->port);
	return argv_substitute(argv, vars);
}

/* This boot's identity: Linux's boot_id, or FreeBSD's kern.boottime (the host's os =). */
static char *boot_id(struct transport *t)
{
	char *linux_argv[] = { "cat", "/proc/sys/kernel/random/boot_id", NULL };
	char *freebsd_argv[] = { "sysctl", "-n", "kern.boottime", NULL };
	char **argv = t->h->os == OS_FREEBSD ? freebsd_argv : linux_argv;
	struct strbuf out = STRBUF_INIT;

	if (transport_run_err(t, argv, t->h->connect_timeout + 10, &out, "/dev/null")) {
		strbuf_release(&out);
		return NULL;
	}
	strbuf_rtrim(&out);
	return strbuf_detach(&out, NULL);
}

/*
 * Fresh connections until the host answers (with a new boot if asked):
 * 0, or -1 at the deadline, with *same (may be NULL) set when it
 * answered, but from the old boot.
 */
static int wait_back(struct transport *t, const char *old_boot, uint64_t deadline, int *same)
{
	int dummy;

	if (!same)
		same = &dummy;
	*same = 0;
	while (mono_ns() < deadline) {
		struct child c;
		char *now, *state = xstrdup(t->state_dir);
		const struct host *h = t->h;

		transport_release(t);	/* the old master died with the old boot */
		transport_init(t, h, state);
		free(state);
		if (!transport_connect_start(t, &c) && !transport_connect_finish_quiet(t, &c)) {
			now = boot_id(t);
			if (now && (!old_boot || strcmp(now, old_boot))) {
				free(now);
				return 0;
			}
			*same = now != NULL;
			free(now);
		}
		sleep_ns(POLL_NS);
	}
	return -1;
}

/* The console, captured on the controller while the DUT boots. */
static void console_start(struct transport *t, struct child *c, const char *logdir)
{
	struct spawn_opts so = SPAWN_OPTS_INIT;
	char *log, *name;
	char **argv;

	memset(c, 0, sizeof(*c));
	if (!argv_len(t->h->console))
		return;
	name = name_as_path(t->h->name);	/* a '/' in it stays in logdir */
	log = xasprintf("%s/console-%s.log", logdir, name);
	free(name);
	argv = host_command(t, t->h->console, NULL, NULL);
	so.stdout_path = log;
	so.stderr_path = "&1";
	so.new_pgrp = 1;
	so.die_with_parent = 1;
	if (spawn_argv(c, argv, &so))
		warning("the console of host '%s' cannot be captured", t->h->name);
	argv_free(argv);
	free(log);
}

static int run_on_controller(struct transport *t, char *const *cmd, double timeout)
{
	char **argv = host_command(t, cmd, NULL, NULL);
	int ret = run_capture(argv, timeout, NULL);

	argv_free(argv);
	return ret;
}

static void reboot_and_wait(struct deploy_result *r, struct transport *t,
			    const struct deploy_opts *d, const char *commit)
{
	char *const *cmd = d->reboot ? d->reboot : t->h->reboot;
	double timeout = d->boot_timeout > 0 ? d->boot_timeout : t->h->boot_timeout;
	uint64_t start = mono_ns();
	char *old = NULL, **argv;
	int code, same;

	if (!argv_len(cmd))
		return;		/* nothing to boot: the image runs as installed */
	old = boot_id(t);
	if (!old && d->kind != DEPLOY_SERVICE)
		warning("cannot read the boot id of host '%s': a new boot cannot be told from "
			"the old one", t->h->name);
	argv = host_command(t, cmd, r->image_remote, commit);
	code = transport_run_err(t, argv, REBOOT_CMD_TIMEOUT, NULL, "/dev/null");
	argv_free(argv);
	/*
	 * A reboot needs a new boot id whatever the command's exit (shutdown
	 * -r now may exit 0 while the old boot still answers); a service
	 * restart that returned normally needs none.
	 */
	if (wait_back(t, d->kind == DEPLOY_SERVICE && code == 0 ? NULL : old,
		      start + (uint64_t)(timeout * 1e9), &same) == 0)
		goto done;
	if (!argv_len(t->h->power_cycle)) {
		if (same)
			fail(r, DEPLOY_ABORT, "host '%s' answers but did not boot anew within %.0f s "
			     "(its boot id is the old one) and has no power_cycle command; if "
			     "reboot only restarts a service, say kind = service in [deploy]",
			     t->h->name, timeout);
		else
			fail(r, DEPLOY_ABORT, "host '%s' did not come back within %.0f s and has no "
			     "power_cycle command: the lab needs a hand", t->h->name, timeout);
		goto done;
	}
	warning("host '%s' did not %s within %.0f s: power-cycling it", t->h->name,
		same ? "boot anew" : "come back", timeout);
	r->power_cycled = 1;
	if (run_on_controller(t, t->h->power_cycle, REBOOT_CMD_TIMEOUT))
		fail(r, DEPLOY_ABORT, "the power_cycle command of host '%s' failed", t->h->name);
	else if (wait_back(t, NULL, mono_ns() + (uint64_t)(timeout * 1e9), NULL))
		fail(r, DEPLOY_ABORT, "host '%s' did not come back after a power cycle: the lab "
		     "needs a hand", t->h->name);
done:
	r->boot_s = (double)(mono_ns() - start) / 1e9;
	free(old);
}

static void wait_ready(struct deploy_result *r, struct transport *t, const struct deploy_opts *d,
		       const char *commit)
{
	double timeout = d->boot_timeout > 0 ? d->boot_timeout : t->h->boot_timeout;
	uint64_t start = mono_ns(), deadline = start + (uint64_t)(timeout * 1e9);
	char **argv;
	int code = -1;

	if (!argv_len(d->ready))
		return;
	argv = host_command(t, d->ready, r->image_remote, commit);
	while (code && mono_ns() < deadline) {
		code = transport_run_err(t, argv, 30, NULL, "/dev/null");
		if (code)
			sleep_ns(POLL_NS / 5);
	}
	argv_free(argv);
	r->ready_s = (double)(mono_ns() - start) / 1e9;
	if (code)
		fail(r, DEPLOY_SKIP, "the image on host '%s' booted but its service was not ready "
		     "within %.0f s", t->h->name, timeout);
}

static void install(struct deploy_result *r, struct transport *t, const struct deploy_opts *d,
		    const char *image, const char *commit)
{
	char *const *cmd = d->install ? d->install : t->h->install;
	char *copy = xstrdup(image), *mk_dir = xasprintf("%s/images", t->h->workdir);
	char *mk[] = { "mkdir", "-p", mk_dir, NULL };
	uint64_t start = mono_ns();
	char **argv;
	int code;

	r->image_remote = xasprintf("%s/%s", mk_dir, basename(copy));
	if (transport_run(t, mk, t->h->command_timeout, NULL) ||
	    transport_put(t, image, r->image_remote, 0755)) {
		fail(r, DEPLOY_ABORT, "cannot copy the image to host '%s'", t->h->name);
	} else if (argv_len(cmd)) {
		argv = host_command(t, cmd, r->image_remote, commit);
		code = transport_run(t, argv, t->h->install_timeout, NULL);
		argv_free(argv);
		if (code == 255 || code < 0)
			fail(r, DEPLOY_ABORT, "host '%s' was lost while installing", t->h->name);
		else if (code)
			fail(r, DEPLOY_SKIP, "the install command on host '%s' failed (exit %d)",
			     t->h->name, code);
	}
	r->install_s = (double)(mono_ns() - start) / 1e9;
	free(copy);
	free(mk_dir);
}

/* The console of the VM's boot, kept with the run. */
static void keep_console(const struct transport *t, const char *logdir)
{
	char *from = xasprintf("%s/console.log", t->h->vm), *name = name_as_path(t->h->name);
	char *to = xasprintf("%s/console-%s.log", logdir, name);
	size_t len;
	char *text = read_file(from, 64u << 20, &len);

	if (!text || write_file_atomic(to, text, len, 0))
		warning("the console of VM '%s' is not kept ('%s')", t->h->name, from);
	free(text);
	free(to);
	free(name);
	free(from);
}

/*
 * A VM DUT boots the kernel: into the boot slot, power off and on, the
 * guest's init says it is ready (a panic, QEMU dying or silence past
 * the boot timeout make the commit a skip, the VM off), then ssh answers.
 */
static void boot_kernel(struct deploy_result *r, struct transport *t, const struct deploy_opts *d,
			const char *image, const char *logdir)
{
	double timeout = d->boot_timeout > 0 ? d->boot_timeout : t->h->boot_timeout;
	uint64_t start = mono_ns();
	char nonce[40], why[512], *boot = NULL;
	struct vm_spec v;
	enum vm_boot b;

	r->image_remote = xasprintf("%s/kernel", t->h->vm);
	if (vm_spec_load(&v, t->h->vm)) {
		fail(r, DEPLOY_ABORT, "host '%s' is not a VM of a lab ('%s'): the lab needs a hand",
		     t->h->name, t->h->vm);
		return;
	}
	if (vm_power_off(t->h->vm) || vm_set_kernel(t->h->vm, image) ||
	    vm_set_cmdline(t->h->vm, d->cmdline)) {
		fail(r, DEPLOY_ABORT, "cannot put the kernel into VM '%s'", t->h->name);
		goto out;
	}
	r->install_s = (double)(mono_ns() - start) / 1e9;
	start = mono_ns();
	snprintf(nonce, sizeof(nonce), "%llx", (unsigned long long)(real_ns() ^ mono_ns()));
	if (vm_power_on(&v, nonce)) {
		fail(r, DEPLOY_ABORT, "VM '%s' cannot be powered on", t->h->name);
		goto out;
	}
	if (*v.cgroup)
		vm_join_cgroup(&v);
	b = vm_wait_ready(t->h->vm, nonce, timeout, &boot, why, sizeof(why));
	if (b == VM_READY &&
	    wait_back(t, NULL, mono_ns() + (uint64_t)(t->h->connect_timeout * 2e9), NULL) == 0) {
		r->boot_s = (double)(mono_ns() - start) / 1e9;
		goto out;
	}
	r->boot_s = (double)(mono_ns() - start) / 1e9;
	vm_power_off(t->h->vm);
	if (b == VM_READY)
		fail(r, DEPLOY_SKIP, "VM '%s' booted but ssh does not answer", t->h->name);
	else
		fail(r, DEPLOY_SKIP, "the kernel of VM '%s' %s (skip this commit): %s", t->h->name,
		     b == VM_PANIC ? "panicked" : b == VM_EXITED ? "stopped its VM" :
		     "did not become ready within the boot timeout", why);
out:
	keep_console(t, logdir);
	free(boot);
	vm_spec_release(&v);
}

void deploy_image(struct deploy_result *r, struct transport *t, const struct deploy_opts *d,
		  const char *image, const char *commit, const char *logdir)
{
	struct child console;

	memset(r, 0, sizeof(*r));
	if (d->kind == DEPLOY_KERNEL) {
		if (!*t->h->vm) {
			fail(r, DEPLOY_ABORT, "[deploy] kind = kernel needs a VM DUT (lab up --vm); "
			     "host '%s' is not one", t->h->name);
			return;
		}
		boot_kernel(r, t, d, image, logdir);
		if (r->outcome == DEPLOY_OK)
			wait_ready(r, t, d, commit);
		return;
	}
	install(r, t, d, image, commit);
	if (r->outcome != DEPLOY_OK)
		return;
	console_start(t, &console, logdir);
	reboot_and_wait(r, t, d, commit);
	if (r->outcome == DEPLOY_OK)
		wait_ready(r, t, d, commit);
	child_stop(&console, 1);
}

void deploy_result_release(struct deploy_result *r)
{
	free(r->why);
	free(r->image_remote);
	memset(r, 0, sizeof(*r));
}

json_t *deploy_result_json(const struct deploy_result *r)
{
	static const char *const outcomes[] = { "ok", "skip", "abort" };
	json_t *o = json_object();

	json_set_str(o, "outcome", outcomes[r->outcome]);
	json_set_str(o, "why", r->why);
	json_set(o, "power_cycled", json_boolean(r->power_cycled));
	json_set_str(o, "image", r->image_remote);
	json_set_num(o, "install_s", r->install_s);
	json_set_num(o, "boot_s", r->boot_s);
	json_set_num(o, "ready_s", r->ready_s);
	return o;
}

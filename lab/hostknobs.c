/*
 * The DUT's knobs (see hostknobs.h): sysctls over ssh, a VM's kernel
 * arguments by booting it.
 */
#include "lab/hostknobs.h"
#include "lab/hosts.h"
#include "lab/knobitems.h"
#include "lab/transport.h"
#include "lab/vm.h"
#include "common/spawn.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct host *dut_of(const struct hostlist *hl)
{
	for (size_t i = 0; hl && i < hl->nr; i++)
		if (hl->v[i].role == ROLE_DUT)
			return &hl->v[i];
	return NULL;
}

/* Whitespace runs as one space, none at the ends: "4096\t16384" == "4096 16384". */
static char *squeeze(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	int space = 0;

	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			space = sb.len > 0;
			continue;
		}
		if (space)
			strbuf_addch(&sb, ' ');
		space = 0;
		strbuf_addch(&sb, *s);
	}
	return strbuf_detach(&sb, NULL);
}

static int connect(struct transport *t, const struct host *h, const char *state_dir)
{
	struct child c;

	if (transport_init(t, h, state_dir) || transport_connect_start(t, &c) ||
	    transport_connect_finish(t, &c))
		return error("cannot reach DUT '%s' to set its knobs", h->name);
	return 0;
}

static char *sysctl_read(struct transport *t, const char *name)
{
	char *argv[] = { "sysctl", "-n", (char *)name, NULL };
	struct strbuf out = STRBUF_INIT;
	char *v;

	if (transport_run_err(t, argv, t->h->command_timeout, &out, "/dev/null")) {
		strbuf_release(&out);
		return NULL;
	}
	v = squeeze(out.buf);
	strbuf_release(&out);
	return v;
}

/* Set a sysctl and read it back: the kernel may round or refuse a value. */
static int sysctl_set(struct transport *t, const char *name, const char *value)
{
	char *assign = xasprintf("%s=%s", name, value), *got, *want = squeeze(value);
	char *argv[] = { "sysctl", "-q", "-w", assign, NULL };
	int ret = 0;

	if (transport_run_err(t, argv, t->h->command_timeout, NULL, "/dev/null"))
		ret = error("DUT '%s': sysctl %s = '%s' was refused", t->h->name, name, value);
	else if (!(got = sysctl_read(t, name)) || strcmp(got, want))
		ret = error("DUT '%s': sysctl %s reads '%s' after setting '%s'", t->h->name, name,
			    got ? got : "?", value);
	else
		free(got);
	free(want);
	free(assign);
	return ret;
}

int host_knobs_init(struct host_knobs *k, const struct hostlist *hl, const struct items *it,
		    const char *state_dir)
{
	const struct host *dut = dut_of(hl);
	struct transport t;
	int ret = 0;

	memset(k, 0, sizeof(*k));
	k->hl = hl;
	k->it = it;
	k->state_dir = state_dir;
	k->baseline = xcalloc(it->n + 1, sizeof(char *));
	k->booted = xstrdup("");
	for (size_t i = 0; i < it->n; i++) {
		k->any_sysctl |= it->v[i].kind == ITEM_SYSCTL;
		k->any_boot |= it->v[i].kind == ITEM_BOOT;
	}
	if (!k->any_sysctl && !k->any_boot)
		return 0;
	if (!dut)
		return error("sysctl and boot items need a lab with a DUT (--hosts)");
	for (size_t i = 0; i < it->n; i++) {
		const struct item *x = &it->v[i];

		if (x->kind == ITEM_BOOT && !*dut->vm)
			ret = error("%s:%d: '%s': kernel arguments need a VM DUT (perflab lab up --vm); "
				    "'%s' is not one", it->path, x->line, x->key, dut->name);
		if (x->kind == ITEM_SYSCTL && *dut->netns && !*dut->vm && strncmp(x->name, "net.", 4))
			ret = error("%s:%d: '%s': DUT '%s' is a network namespace of this machine: "
				    "only its own sysctls (net.*) can be set there", it->path, x->line,
				    x->key, dut->name);
	}
	if (ret || !k->any_sysctl)
		return ret;
	if (connect(&t, dut, state_dir))
		return -1;
	for (size_t i = 0; i < it->n && !ret; i++)
		if (it->v[i].kind == ITEM_SYSCTL && !(k->baseline[i] = sysctl_read(&t, it->v[i].name)))
			ret = error("%s:%d: DUT '%s' has no sysctl '%s'", it->path, it->v[i].line,
				    dut->name, it->v[i].name);
	transport_release_keep(&t, 1);
	return ret;
}

static int in_subset(const size_t *subset, size_t n, size_t i)
{
	for (size_t j = 0; j < n; j++)
		if (subset[j] == i)
			return 1;
	return 0;
}

/* Power-cycle the VM with args; read them back from its /proc/cmdline. */
static int boot_with(struct host_knobs *k, const struct host *dut, const char *args)
{
	struct vm_spec v;
	struct transport t;
	char nonce[32], why[256], *boot = NULL;
	struct strbuf cmdline = STRBUF_INIT;
	char *cat[] = { "cat", "/proc/cmdline", NULL };
	int ret = -1;

	if (vm_spec_load(&v, dut->vm))
		return -1;
	snprintf(nonce, sizeof(nonce), "%llx", (unsigned long long)(real_ns() ^ mono_ns()));
	if (!vm_set_cmdline(dut->vm, args) && !vm_power_off(dut->vm) && !vm_power_on(&v, nonce)) {
		vm_join_cgroup(&v);
		if (vm_wait_ready(dut->vm, nonce, dut->boot_timeout, &boot, why, sizeof(why)) != VM_READY)
			error("VM '%s' did not boot with '%s': %s", dut->name, args, why);
		else
			ret = 0;
	}
	free(boot);
	vm_spec_release(&v);
	if (ret || connect(&t, dut, k->state_dir))
		return -1;
	if (transport_run(&t, cat, dut->command_timeout, &cmdline))
		ret = error("cannot read the kernel arguments of VM '%s'", dut->name);
	{
		char *copy = xstrdup(args), *save = NULL;
		char *line = xasprintf(" %s ", cmdline.buf);

		for (char *p = line; *p; p++)
			if (*p == '\n')
				*p = ' ';
		for (char *a = strtok_r(copy, " ", &save); !ret && a; a = strtok_r(NULL, " ", &save)) {
			char *word = xasprintf(" %s ", a);

			if (!strstr(line, word))
				ret = error("VM '%s' booted without '%s'", dut->name, a);
			free(word);
		}
		free(line);
		free(copy);
	}
	strbuf_release(&cmdline);
	transport_release(&t);
	return ret;
}

int host_knobs_apply(struct host_knobs *k, const size_t *subset, size_t n)
{
	const struct host *dut = dut_of(k->hl);
	struct strbuf args = STRBUF_INIT;
	struct transport t;
	int ret = 0;

	if (!k->any_sysctl && !k->any_boot)
		return 0;
	for (size_t i = 0; i < k->it->n; i++) {
		const struct item *x = &k->it->v[i];

		if (x->kind == ITEM_BOOT && in_subset(subset, n, i))
			strbuf_addf(&args, "%s%s%s%s", args.len ? " " : "", x->name,
				    *x->value ? "=" : "", x->value);
	}
	/* the boot first: a new boot starts with the kernel's sysctls */
	if (k->any_boot && strcmp(args.buf, k->booted)) {
		ret = boot_with(k, dut, args.buf);
		free(k->booted);
		k->booted = xstrdup(ret ? "?" : args.buf);
	}
	if (!ret && k->any_sysctl && !connect(&t, dut, k->state_dir)) {
		for (size_t i = 0; i < k->it->n && !ret; i++) {
			const struct item *x = &k->it->v[i];

			if (x->kind == ITEM_SYSCTL)
				ret = sysctl_set(&t, x->name, in_subset(subset, n, i) ? x->value :
						 k->baseline[i]);
		}
		transport_release_keep(&t, 1);
	} else if (!ret && k->any_sysctl) {
		ret = -1;
	}
	strbuf_release(&args);
	return ret;
}

int host_knobs_restore(struct host_knobs *k)
{
	return host_knobs_apply(k, NULL, 0);
}

void host_knobs_release(struct host_knobs *k)
{
	for (size_t i = 0; k->it && i < k->it->n; i++)
		free(k->baseline ? k->baseline[i] : NULL);
	free(k->baseline);
	free(k->booted);
	memset(k, 0, sizeof(*k));
}

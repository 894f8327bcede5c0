#include "lab/hosts.h"
#include "lab/config.h"
#include "common/opt.h"
#include "common/util.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const char *const host_role_names[] = { "dut", "client", "build", NULL };
static const char *const os_names[] = { "linux", "freebsd", NULL };
static const char *const hostkey_names[] = { "strict", "accept-new", "off", NULL };
const char *const host_placeholders[] = {
	"host", "address", "user", "port", "image", "commit", "workdir", NULL
};

#define H(name, type, field, lo, hi, ch, def, argh, help) \
	{ name, 0, type, offsetof(struct host, field), lo, hi, ch, def, argh, help }

const struct opt host_table[] = {
	H("address", OPT_STRING, address, 0, 0, NULL, NULL, "ADDR",
	  "ssh address (name or IP), or 'local' for this machine"),
	H("user", OPT_STRING, user, 0, 0, NULL, "root", "USER", "ssh user"),
	H("port", OPT_INT, port, 1, 65535, NULL, "22", "PORT", "ssh port"),
	H("identity", OPT_STRING, identity, 0, 0, NULL, "", "FILE", "ssh private key"),
	H("role", OPT_CHOICE, role, 0, 0, host_role_names, NULL, "ROLE",
	  "dut, client or build"),
	H("os", OPT_CHOICE, os, 0, 0, os_names, "linux", "OS", "linux or freebsd"),
	H("traffic", OPT_STRING, traffic, 0, 0, NULL, "", "ADDR",
	  "address the workload uses to reach this host, \"\" = address"),
	H("interface", OPT_STRING, interface, 0, 0, NULL, "", "NIC",
	  "network interface the traffic crosses"),
	H("workdir", OPT_STRING, workdir, 0, 0, NULL, "/var/tmp/perflab", "DIR",
	  "directory for perflab and results on the host"),
	H("agent", OPT_STRING, agent, 0, 0, NULL, "", "PATH",
	  "an installed perflab-agent of this perflab's protocol; \"\" = perflab copies its "
	  "own into the workdir"),
	H("install", OPT_ARGV, install, 0, 0, NULL, "", "CMD",
	  "command that installs an image on the host"),
	H("install_timeout", OPT_DURATION, install_timeout, 1, 86400, NULL, "10m", "SECS",
	  "time allowed for install"),
	H("reboot", OPT_ARGV, reboot, 0, 0, NULL, "", "CMD", "command that reboots the host"),
	H("boot_timeout", OPT_DURATION, boot_timeout, 1, 86400, NULL, "10m", "SECS",
	  "time from reboot until the host answers ssh"),
	H("power_cycle", OPT_ARGV, power_cycle, 0, 0, NULL, "", "CMD",
	  "command that power-cycles the host when a reboot does not come back"),
	H("console", OPT_ARGV, console, 0, 0, NULL, "", "CMD",
	  "command that prints the host's console while it boots"),
	H("connect_timeout", OPT_DURATION, connect_timeout, 1, 3600, NULL, "10s", "SECS",
	  "time allowed to open an ssh connection"),
	H("command_timeout", OPT_DURATION, command_timeout, 1, 86400, NULL, "5m", "SECS",
	  "time allowed for any other remote command"),
	H("host_key_policy", OPT_CHOICE, host_key_policy, 0, 0, hostkey_names, "accept-new",
	  "POLICY", "strict, accept-new or off (ssh StrictHostKeyChecking)"),
	H("known_hosts", OPT_STRING, known_hosts, 0, 0, NULL, "", "FILE",
	  "ssh known_hosts file, \"\" = ssh's default"),
	H("netns", OPT_STRING, netns, 0, 0, NULL, "", "NAME",
	  "run the controller's ssh inside this network namespace (a lab on one machine)"),
	H("cgroup", OPT_STRING, cgroup, 0, 0, NULL, "", "NAME",
	  "the cgroup holding this host's processes (a namespace host): its CPU is the host's"),
	H("cpus", OPT_STRING, cpus, 0, 0, NULL, "", "LIST",
	  "the CPUs this host has to itself (a namespace host pinned by lab up), \"\" = shared"),
	H("vm", OPT_STRING, vm, 0, 0, NULL, "", "DIR",
	  "a QEMU DUT of `perflab lab up --vm` (its directory): [deploy] kind = kernel boots it"),
	OPT_END_ROW
};

int hostlist_load(struct hostlist *out, const char *path)
{
	struct cfg_file f;

	memset(out, 0, sizeof(*out));
	if (cfg_file_load(&f, path))
		return -1;
	if (f.kind != CFG_HOSTS) {
		error("%s: not a hosts file: it has no [host NAME] sections", path);
		cfg_file_release(&f);
		return -1;
	}
	out->path = xstrdup(path);
	out->v = xcalloc(f.nr, sizeof(*out->v));
	for (size_t i = 0; i < f.nr; i++) {
		struct host *h = &out->v[out->nr++];

		opt_defaults(host_table, h);
		cfg_section_apply(&f, &f.v[i], host_table, h);
		h->name = xstrdup(f.v[i].name);
		h->line = f.v[i].line;
	}
	cfg_file_release(&f);
	return 0;
}

void hostlist_release(struct hostlist *l)
{
	for (size_t i = 0; i < l->nr; i++) {
		opt_release(host_table, &l->v[i]);
		free(l->v[i].name);
	}
	free(l->v);
	free(l->path);
	memset(l, 0, sizeof(*l));
}

int host_is_local(const struct host *h)
{
	return !strcmp(h->address, "local");
}

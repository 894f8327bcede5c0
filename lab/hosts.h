#ifndef LAB_HOSTS_H
#define LAB_HOSTS_H

#include <stddef.h>

#include "common/opt.h"

/*
 * The lab inventory: one [host NAME] section per machine. hosts.example
 * in the source tree documents every key.
 */
enum host_role { ROLE_DUT, ROLE_CLIENT, ROLE_BUILD };
enum host_os { OS_LINUX, OS_FREEBSD };
enum host_key_policy { HOSTKEY_STRICT, HOSTKEY_ACCEPT_NEW, HOSTKEY_OFF };

struct host {
	char *name;		/* from [host NAME] */
	int line;		/* where its section starts */
	char *address;		/* ssh address, or "local" */
	char *user;		/* ssh user */
	long port;		/* ssh port */
	char *identity;		/* ssh private key file, "" = ssh's default */
	int role;		/* enum host_role */
	int os;			/* enum host_os */
	char *traffic;		/* address clients send traffic to, "" = address */
	char *interface;	/* NIC the traffic crosses, "" = find by route */
	char *workdir;		/* where perflab and results live on the host */
	char *agent;		/* an installed perflab-agent, "" = perflab copies its own */
	char **install;		/* install an image: argv with placeholders */
	double install_timeout;	/* seconds */
	char **reboot;		/* reboot (or restart the service) */
	double boot_timeout;	/* seconds from reboot until ssh answers */
	char **power_cycle;	/* hard reset when a reboot does not come back */
	char **console;		/* capture the console during boot */
	double connect_timeout;	/* seconds for an ssh connection */
	double command_timeout;	/* seconds for any other remote command */
	int host_key_policy;	/* enum host_key_policy */
	char *known_hosts;	/* ssh known_hosts file, "" = ssh's default */
	char *netns;		/* network namespace the controller's ssh runs in */
	char *cgroup;		/* the cgroup whose CPU is this host's, "" = the machine's */
	char *cpus;		/* CPUs the host runs on alone ("1", "2-3"), "" = shared */
	char *vm;		/* a QEMU DUT of a lab on this machine: its directory, "" = none */
};

struct hostlist {
	char *path;
	struct host *v;
	size_t nr;
};

extern const struct opt host_table[];
extern const char *const host_role_names[];
/* Placeholders a host command may use. */
extern const char *const host_placeholders[];

/* Load a hosts file (strict; see config.h). */
int hostlist_load(struct hostlist *out, const char *path);
void hostlist_release(struct hostlist *l);
/* Is this host the machine perflab runs on? */
int host_is_local(const struct host *h);

#endif

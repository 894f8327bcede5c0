#ifndef LAB_NETNS_H
#define LAB_NETNS_H

#include "common/opt.h"

/*
 * A lab on one machine: network namespaces standing in for hosts (DUTs
 * and clients), joined by veth pairs through a bridge in a switch
 * namespace, optionally rate-limited with tbf, each with a real sshd,
 * and a controller namespace the controller's ssh runs in. Nothing is
 * added to the machine's own network namespace.
 */
struct lab_opts {
	char *name;		/* prefix of every namespace: NAME-dut1 ... */
	long duts;		/* device-under-test hosts */
	long clients;		/* client hosts */
	double rate;		/* tbf rate on every host link, bits/s, 0 = none */
	char *dir;		/* state: keys, sshd configs, host workdirs */
	char *hosts_out;	/* the hosts file written for the lab */
	int pin;		/* give DUTs CPUs of their own when there are enough */
	long vms;		/* DUTs that are QEMU VMs (then duts = vms) */
	char *kernel;		/* a kernel the VMs boot at once, or NULL: off until deployed */
	long vm_mem;		/* MiB per VM */
	long vm_smp;		/* CPUs per VM */
};

extern const struct opt lab_table[];

/* Bring the lab up (idempotent; repairs what a crash left half-made). */
int lab_up(const struct lab_opts *o);
/* Remove everything `lab up` made, and nothing else. Safe to repeat. */
int lab_down(const struct lab_opts *o);
/*
 * Power-cycle one host of the lab: kill everything it runs, start its
 * sshd again (in its cgroup), wait until it answers. The namespace
 * lab's power_cycle command.
 */
int lab_power_cycle(const struct lab_opts *o, const char *host);
/* Print the lab's hosts, their sshd and whether ssh answers. 0 = all up. */
int lab_status(const struct lab_opts *o);

#endif

#ifndef LAB_VM_H
#define LAB_VM_H

#include <stddef.h>
#include <sys/types.h>

/*
 * QEMU DUTs of a lab on this machine (`perflab lab up --vm N`): each VM
 * boots the kernel in its boot slot with the lab's initramfs (busybox,
 * dropbear, perflab-agent), on a tap of the lab's bridge. KVM where
 * /dev/kvm can run a guest, TCG otherwise. A VM lives in a directory of
 * the lab, which holds:
 *
 *   vm.json       how to start it: name, switch namespace, tap, MAC,
 *                 address, initramfs, memory, CPUs, accelerator
 *   kernel        the boot slot: the kernel the next power-on boots
 *   cmdline       extra kernel arguments (knobs), one line, optional
 *   console.log   the serial console of the current boot
 *   qemu.pid      QEMU's pid while it runs; qmp.sock its monitor
 *
 * Power-on means a QEMU process; power-off, killing it (the kernels it
 * boots have no ACPI and cannot power themselves off).
 */
struct vm_spec {
	char *name;		/* dut1 */
	char *dir;		/* the VM's directory (absolute) */
	char *netns;		/* the namespace holding its tap (the lab's switch) */
	char *tap;		/* tap device name */
	char *mac;		/* 52:54:00:... */
	char *address;		/* its address with prefix: 198.18.0.11/24 */
	char *initrd;		/* the lab's initramfs */
	long mem_mb;
	long smp;
	char *accel;		/* "kvm" or "tcg" */
	char *cgroup;		/* the cgroup QEMU runs in (common/cgroup.h), "" = none */
};

/*
 * Can this machine run KVM guests? Opens /dev/kvm and asks for a VM (the
 * only test that tells a nested VM without virtualisation from a real
 * host). 1 yes; 0 no, with the reason in why.
 */
int vm_kvm_usable(char *why, size_t len);

/* Write and read DIR/vm.json. */
int vm_spec_save(const struct vm_spec *v);
int vm_spec_load(struct vm_spec *out, const char *dir);
void vm_spec_release(struct vm_spec *v);

/* Put a kernel into the VM's boot slot (a copy). */
int vm_set_kernel(const char *dir, const char *kernel);

/*
 * Power on: QEMU boots the boot slot's kernel, its console going to
 * DIR/console.log (emptied first). nonce is passed on the kernel command
 * line and printed by the guest's init when it is ready, so a ready line
 * is known to come from this boot. Fails if it is already on.
 */
int vm_power_on(const struct vm_spec *v, const char *nonce);
/* Put the running QEMU into the VM's cgroup (its CPUs, its CPU time). */
int vm_join_cgroup(const struct vm_spec *v);
/* Power off: kill QEMU (TERM, then KILL). Off already is fine. */
int vm_power_off(const char *dir);
/* QEMU's pid when the VM is on, else 0. */
pid_t vm_pid(const char *dir);

enum vm_boot {
	VM_READY = 0,		/* the guest's init said it is ready */
	VM_PANIC,		/* the kernel panicked (said on the console) */
	VM_EXITED,		/* QEMU is gone */
	VM_TIMEOUT		/* neither within the time given */
};

/*
 * Wait until the boot with this nonce is ready, reading the console.
 * *boot_id gets the guest's boot id on VM_READY (the caller frees it).
 * why gets a line of the console that says what went wrong.
 */
enum vm_boot vm_wait_ready(const char *dir, const char *nonce, double timeout,
			   char **boot_id, char *why, size_t len);

/*
 * The lab's initramfs (a newc cpio): busybox and its applets, dropbear
 * with the libraries it needs, host_key (a dropbear key), the lab's
 * authorized_keys, perflab-agent at /root/perflab/perflab-agent, and an
 * init that brings up eth0 from the kernel command line and says
 * "perflab-ready" on the console.
 */
int vm_make_initramfs(const char *out, const char *agent, const char *host_key,
		      const char *authorized_keys);

#endif

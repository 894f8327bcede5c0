#ifndef LAB_HOSTKNOBS_H
#define LAB_HOSTKNOBS_H

#include <stddef.h>

struct hostlist;
struct items;

/*
 * The knobs of a knob bisection that live on the DUT (lab/knobitems.h):
 * its sysctls, set over ssh and read back, and a VM DUT's kernel
 * arguments, applied by booting it. Before the search the sysctls'
 * values are read (the baseline); each subset then sets its items and
 * puts every other sysctl item back to its baseline, and boots the VM
 * with the subset's arguments when they differ from its boot's. At the
 * end everything goes back to the baseline.
 */
struct host_knobs {
	const struct hostlist *hl;
	const struct items *it;
	const char *state_dir;	/* for the ssh control sockets */
	char **baseline;	/* per item: a sysctl's value before the search, else NULL */
	char *booted;		/* the kernel arguments the VM runs with now */
	int any_sysctl, any_boot;
};

/*
 * Check that the items can live on hl's DUT (a boot item needs a VM DUT;
 * a namespace host takes net.* sysctls only) and read the baseline.
 */
int host_knobs_init(struct host_knobs *out, const struct hostlist *hl, const struct items *it,
		    const char *state_dir);
/* Apply subset[0..n) (indexes into the items) on the DUT, verified. */
int host_knobs_apply(struct host_knobs *k, const size_t *subset, size_t n);
/* Back to the baseline; then free. */
int host_knobs_restore(struct host_knobs *k);
void host_knobs_release(struct host_knobs *k);

#endif

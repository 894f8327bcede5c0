#ifndef LAB_KNOBITEMS_H
#define LAB_KNOBITEMS_H

#include <stddef.h>

#include "common/opt.h"

/*
 * The items of a knob bisection (perflab bisect knobs --items FILE):
 * one "key = value" per line; # comments and blank lines are skipped.
 * A key is
 *   a [workload] or [run] key of a job, with a valid value;
 *   sysctl.NAME, a sysctl of the DUT (net.ipv4.tcp_rmem), set over ssh
 *     and read back before a run: on a namespace host only the
 *     network namespace's own (net.*), elsewhere any;
 *   boot.ARG, a kernel argument of a VM DUT (lab up --vm), ARG=VALUE
 *     ("boot.mitigations = off"), or ARG alone with an empty value:
 *     the VM boots with it, and /proc/cmdline is read back.
 * Errors name the file, the line and the value.
 */
enum item_kind { ITEM_OPTION, ITEM_SYSCTL, ITEM_BOOT };

struct item {
	char *key, *value;
	int kind;		/* enum item_kind */
	const struct opt *o;	/* ITEM_OPTION */
	int in_run;		/* ITEM_OPTION: a [run] key, else [workload] */
	const char *name;	/* ITEM_SYSCTL, ITEM_BOOT: the key after its prefix */
	int line;
};

struct items {
	const char *path;	/* borrowed */
	struct item *v;
	size_t n, alloc;
};

int knob_items_load(struct items *it, const char *path);
/* The same from text (NUL bytes are errors); path names it in messages. */
int knob_items_parse(struct items *it, const char *path, const char *data, size_t len);
void knob_items_release(struct items *it);

#endif

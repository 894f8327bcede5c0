#ifndef LAB_KNOBITEMS_H
#define LAB_KNOBITEMS_H

#include <stddef.h>

#include "common/opt.h"

/*
 * The items of a knob bisection (perflab bisect knobs --items FILE):
 * one "key = value" per line, each a [workload] or [run] key of a job
 * with a valid value; # comments and blank lines are skipped. Errors
 * name the file, the line and the value.
 */
struct item {
	char *key, *value;
	const struct opt *o;
	int in_run;		/* a [run] key, else [workload] */
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

#ifndef LAB_CONFIG_H
#define LAB_CONFIG_H

#include <stddef.h>

#include "common/opt.h"
struct strbuf;

/*
 * Configuration files: INI (`[section name]`, `key = value`, values
 * continued on indented lines), parsed by libinih, strict: unknown
 * sections and keys, bad values, duplicates, over-long lines and binary
 * data (NUL and other control characters) are errors that name the file,
 * the line and the value. Nothing is applied from a file with errors.
 * Comments are whole lines that start with `#` or `;` (indented or not):
 * a `;` inside a value is part of it (`label = kernel A ; patch B`),
 * although the libinih we link is built with inline comments on (the
 * reader hides every `;` of a key line from it; see config.c).
 */
struct cfg_entry {
	char *key;
	char *value;
	int line;
};

struct cfg_section {
	char *kind;		/* "host", "workload", ... */
	char *name;		/* "dut1" of [host dut1], or NULL */
	int line;
	struct cfg_entry *v;
	size_t nr, alloc;
};

enum cfg_file_kind { CFG_UNKNOWN, CFG_HOSTS, CFG_JOB };

struct cfg_file {
	char *path;
	enum cfg_file_kind kind;	/* from the first section */
	struct cfg_section *v;
	size_t nr, alloc;
};

#define CFG_MAX_BYTES (4 << 20)	/* larger files are refused */

/*
 * Read and check a file: syntax, known sections and keys, values of the
 * right type, no duplicates. Reports every error found (not just the
 * first) and returns -1 if there was any; `out` is then released.
 */
int cfg_file_load(struct cfg_file *out, const char *path);
/* The same for text already in memory; name stands for the file in errors. */
int cfg_file_parse(struct cfg_file *out, const char *name, const char *buf, size_t len);
void cfg_file_release(struct cfg_file *f);

/* The section's entries applied to target through table (defaults first). */
int cfg_section_apply(const struct cfg_file *f, const struct cfg_section *s,
		      const struct opt *table, void *target);
/* The first section of that kind, or NULL. */
const struct cfg_section *cfg_find(const struct cfg_file *f, const char *kind);

/* Print the effective configuration (every key, defaults included). */
void cfg_print(const struct cfg_file *f, struct strbuf *out);

#endif

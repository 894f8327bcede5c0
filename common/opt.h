#ifndef COMMON_OPT_H
#define COMMON_OPT_H

#include <stddef.h>
#include <stdio.h>

struct strbuf;

/*
 * Declarative options. One table row describes a setting once: its
 * name (the long flag `--name` and the config key `name = ...`), type,
 * range, default and help text. The command line and the configuration
 * files share the table, so they are one grammar, and `help` and
 * `config` print from it.
 */
enum opt_type {
	OPT_END = 0,
	OPT_BOOL,	/* int: 0/1; `--name`, `--no-name`, `name = yes` */
	OPT_INT,	/* long within [min, max] */
	OPT_SIZE,	/* uint64_t bytes: 64K, 10M */
	OPT_RATE,	/* double bits per second: 100M, 1Gbit */
	OPT_DURATION,	/* double seconds: 5, 250ms */
	OPT_DOUBLE,	/* double, plain number within [min, max] */
	OPT_PERCENT,	/* double fraction: +5% is 0.05 */
	OPT_STRING,	/* char * (owned) */
	OPT_CHOICE,	/* int index into choices */
	OPT_ARGV,	/* char ** (owned): a command split into words */
	OPT_LIST	/* struct opt_list: every value of a repeated option, in order */
};

/* The values of an OPT_LIST option (`--good A --good B`); owned. */
struct opt_list {
	char **v;	/* NULL-terminated when nr > 0 */
	size_t nr;
};

struct opt {
	const char *name;	/* long flag and config key */
	int short_name;		/* single-letter flag, or 0 */
	enum opt_type type;
	size_t offset;		/* of the field in the target struct */
	double min, max;	/* range for numbers; max 0 = unbounded */
	const char *const *choices; /* OPT_CHOICE: NULL-terminated names */
	const char *def;	/* default as text, or NULL (unset) */
	const char *argh;	/* placeholder in help: "N", "BYTES" */
	const char *help;
};

#define OPT_END_ROW { NULL, 0, OPT_END, 0, 0, 0, NULL, NULL, NULL, NULL }

/* A table and the struct it fills, for parsing several tables at once. */
struct optset {
	const struct opt *table;
	void *target;
};

/* Apply every row's default to target (all fields zeroed first by caller). */
void opt_defaults(const struct opt *table, void *target);
/* Free owned strings, argv arrays and lists in target. */
void opt_release(const struct opt *table, void *target);
/* Find a row by long name (or by short name when name is NULL). */
const struct opt *opt_find(const struct opt *table, const char *name);
/*
 * Set one option from text. On a bad value returns -1 and puts a
 * message in err: "invalid size 'x' for 'sndbuf': bytes with K, M or G".
 */
int opt_set(const struct opt *o, void *target, const char *value,
	    struct strbuf *err);
/*
 * Parse leading options of argv (argv[0] is the command name) into the
 * sets (terminated by a row with table NULL). Stops at the first
 * non-option or after "--". Returns the index of the first argument not
 * consumed, or -1 after printing an error (the caller exits 129).
 */
int opt_parse(const struct optset *sets, int argc, char **argv);
/*
 * The same with options and arguments in any order (`plot box A B
 * --out DIR`): after "--" everything is an argument. The arguments are
 * moved to argv[1], argv[2] ... in their order; returns their number,
 * or -1 after printing an error.
 */
int opt_parse_mixed(const struct optset *sets, int argc, char **argv);
/*
 * What `--help` or `-h` among the options of any command line does when
 * no table has them: the driver points this at the help of the command
 * being parsed; opt_parse calls it and exits 0 (as git's parse_options
 * does). NULL: they are unknown options like any other.
 */
extern void (*opt_help_fn)(void);
/* Print the options of a table as help text. */
void opt_usage(FILE *f, const struct opt *table);
/* Format an option's current value as config text ("128K", "5s"). */
void opt_format(const struct opt *o, const void *target, struct strbuf *out);

#endif

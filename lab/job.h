#ifndef LAB_JOB_H
#define LAB_JOB_H

#include "common/opt.h"

struct cfg_file;
struct cfg_section;

/*
 * A job's [source] section: where the code comes from and how an image
 * is built from it. job.example documents every key. Relative paths
 * (repo, workdir, images) are relative to the current directory, like
 * the results directory.
 */
enum source_kind { SOURCE_COMMANDS, SOURCE_KERNEL };

struct job_source {
	int kind;		/* enum source_kind: a build command, or a Linux kernel */
	char *repo;		/* path or URL of a git repository */
	char *branch;		/* built when no revision is given */
	char **build;		/* argv with {commit} {worktree} {image} */
	char *artifact;		/* relative to the worktree; "" = the build writes {image} */
	double build_timeout;	/* seconds */
	char *workdir;		/* worktrees, mirrors and (by default) images */
	char *images;		/* the image cache, "" = WORKDIR/images */
	char **env;		/* extra NAME=value entries for the build */
	/* kind = kernel: built out of tree in a build directory kept between builds */
	char *config;		/* config fragment merged onto the base config */
	char *base_config;	/* a make target (tinyconfig, defconfig) or a .config file */
	char *target;		/* what make builds: bzImage */
	char *arch;		/* the kernel's ARCH: where the image lands (arch/ARCH/boot) */
	long jobs;		/* make -j, 0 = the online CPUs */
};

extern const struct opt job_source_table[];
/* The placeholders a build command may use, without braces. */
extern const char *const job_placeholders[];

struct job {
	char *path;		/* the job file */
	int has_source;		/* it has a [source] section */
	struct job_source source; /* defaults when it has none */
};

/*
 * Load a job file (strict; see config.h) and its [source] section.
 * [workload] and [run] are checked here but applied by their own
 * commands (cmd-run.c). Release with job_release() even on failure.
 */
int job_load(struct job *out, const char *path);
void job_release(struct job *j);

/*
 * The config check of a [source] section (config.c's schema table):
 * repo present, placeholders known, env entries NAME=value, artifact a
 * relative path inside the worktree. Errors name file:line.
 */
int job_source_check(const struct cfg_file *f, const struct cfg_section *s, void *target);

/* Values substituted into a build command; NULL ones stay unknown. */
struct job_vars {
	const char *commit;	/* full commit id */
	const char *worktree;	/* absolute path */
	const char *image;	/* absolute path the image goes to */
};

/*
 * Substitute placeholders inside the words of argv into a new argv the
 * caller frees with argv_free(). Each word stays one word whatever the
 * values hold; "{{" is a literal "{". Returns -1 and names the word on
 * an unknown or unterminated placeholder.
 */
int job_expand_argv(char ***out, char *const *argv, const struct job_vars *v);
/*
 * The first unknown placeholder in argv as "{name}" (the caller frees
 * it), or NULL when every placeholder is known.
 */
char *job_bad_placeholder(char *const *argv);
/* Does argv use the placeholder name (without braces)? */
int job_argv_uses(char *const *argv, const char *name);
/* Is s a valid environment entry, NAME=value with a shell-style NAME? */
int job_env_entry_ok(const char *s);

#endif

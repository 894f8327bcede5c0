#include "lab/job.h"
#include "lab/config.h"
#include "common/opt.h"
#include "common/parse.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const char *const job_placeholders[] = { "commit", "worktree", "image", NULL };

#define S(name, type, field, lo, hi, def, argh, help) \
	{ name, 0, type, offsetof(struct job_source, field), lo, hi, NULL, def, argh, help }

static const char *const kind_names[] = { "commands", "kernel", NULL };

const struct opt job_source_table[] = {
	{ "kind", 0, OPT_CHOICE, offsetof(struct job_source, kind), 0, 0, kind_names, "commands",
	  "KIND", "commands: the build command below; kernel: a Linux kernel, configured and built "
	  "out of tree by perflab" },
	S("repo", OPT_STRING, repo, 0, 0, NULL, "REPO",
	  "path or URL of the git repository (required)"),
	S("branch", OPT_STRING, branch, 0, 0, "main", "BRANCH",
	  "branch built when no revision is given"),
	S("build", OPT_ARGV, build, 0, 0, "", "CMD",
	  "build command, run in the worktree: argv with {commit} {worktree} {image}"),
	S("artifact", OPT_STRING, artifact, 0, 0, "", "PATH",
	  "what the build produces, relative to the worktree; \"\" = it writes {image}"),
	S("build_timeout", OPT_DURATION, build_timeout, 0.01, 86400 * 30, "1h", "SECS",
	  "time allowed for one build; then its process group is killed"),
	S("workdir", OPT_STRING, workdir, 0, 0, "builds", "DIR",
	  "where perflab keeps worktrees, mirrors and the image cache"),
	S("images", OPT_STRING, images, 0, 0, "", "DIR",
	  "the image cache, \"\" = WORKDIR/images"),
	S("env", OPT_ARGV, env, 0, 0, "", "NAME=VALUE...",
	  "extra environment entries for the build, separated by spaces"),
	S("config", OPT_STRING, config, 0, 0, "", "FILE",
	  "kind = kernel: a config fragment merged onto base_config (scripts/kconfig/merge_config.sh)"),
	S("base_config", OPT_STRING, base_config, 0, 0, "tinyconfig", "TARGET|FILE",
	  "kind = kernel: the base config, a make target or a .config file"),
	S("target", OPT_STRING, target, 0, 0, "bzImage", "TARGET", "kind = kernel: what make builds"),
	S("arch", OPT_STRING, arch, 0, 0, "x86", "ARCH",
	  "kind = kernel: the image is arch/ARCH/boot/TARGET of the build directory"),
	S("jobs", OPT_INT, jobs, 0, 1024, "0", "N", "kind = kernel: make -jN, 0 = the online CPUs"),
	OPT_END_ROW
};

/* Length of the placeholder name at p (just after '{'), or -1. */
static int placeholder_at(const char *p, const char **name)
{
	size_t n = strcspn(p, "{}");

	*name = NULL;
	if (p[n] != '}')
		return -1;
	for (int i = 0; job_placeholders[i]; i++)
		if (strlen(job_placeholders[i]) == n && !strncmp(p, job_placeholders[i], n))
			*name = job_placeholders[i];
	return (int)n;
}

static const char *var_value(const struct job_vars *v, const char *name)
{
	if (!strcmp(name, "commit"))
		return v->commit;
	if (!strcmp(name, "worktree"))
		return v->worktree;
	return v->image;
}

/* One word; returns -1 (reported) on a placeholder it cannot fill. */
static int expand_word(struct strbuf *out, const char *w, const struct job_vars *v)
{
	for (const char *p = w; *p; p++) {
		const char *name, *val;
		int n;

		if (*p != '{') {
			strbuf_addch(out, *p);
			continue;
		}
		if (p[1] == '{') {
			strbuf_addch(out, '{');
			p++;
			continue;
		}
		n = placeholder_at(p + 1, &name);
		val = name && v ? var_value(v, name) : NULL;
		if (!val)
			return error("unknown placeholder '%.*s' in '%s' (known: {commit} "
				     "{worktree} {image})", n < 0 ? (int)strlen(p) : n + 2, p, w);
		strbuf_addstr(out, val);
		p += n + 1;
	}
	return 0;
}

int job_expand_argv(char ***out, char *const *argv, const struct job_vars *v)
{
	int n = argv_len(argv);
	char **res = xcalloc((size_t)n + 1, sizeof(*res));

	*out = NULL;
	for (int i = 0; i < n; i++) {
		struct strbuf sb = STRBUF_INIT;

		if (expand_word(&sb, argv[i], v)) {
			strbuf_release(&sb);
			argv_free(res);
			return -1;
		}
		res[i] = strbuf_detach(&sb, NULL);
	}
	*out = res;
	return 0;
}

char *job_bad_placeholder(char *const *argv)
{
	for (int i = 0; argv && argv[i]; i++) {
		for (const char *p = strchr(argv[i], '{'); p; p = strchr(p + 1, '{')) {
			const char *name;
			int n;

			if (p[1] == '{') {
				p++;
				continue;
			}
			n = placeholder_at(p + 1, &name);
			if (!name)
				return n < 0 ? xstrdup(p) : xstrndup(p, (size_t)n + 2);
		}
	}
	return NULL;
}

int job_argv_uses(char *const *argv, const char *name)
{
	for (int i = 0; argv && argv[i]; i++) {
		for (const char *p = strchr(argv[i], '{'); p; p = strchr(p + 1, '{')) {
			const char *found;

			if (p[1] == '{') {
				p++;	/* "{{" is a literal brace */
				continue;
			}
			placeholder_at(p + 1, &found);
			if (found && !strcmp(found, name))
				return 1;
		}
	}
	return 0;
}

int job_env_entry_ok(const char *s)
{
	const char *eq = strchr(s, '=');

	if (!eq || eq == s || isdigit((unsigned char)*s))
		return 0;
	for (const char *p = s; p < eq; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return 0;
	return 1;
}

static int line_of(const struct cfg_section *s, const char *key)
{
	for (size_t i = 0; i < s->nr; i++)
		if (!strcmp(s->v[i].key, key))
			return s->v[i].line;
	return 0;
}

/* A relative path that stays inside the worktree: no "..", not absolute. */
static int inside_path_ok(const char *p)
{
	if (*p == '/')
		return 0;
	for (const char *c = p; c; c = strchr(c, '/')) {
		if (*c == '/')
			c++;
		if (!strncmp(c, "..", 2) && (c[2] == '/' || !c[2]))
			return 0;
	}
	return 1;
}

static int check_source_paths(const struct cfg_file *f, const struct cfg_section *s,
			      const struct job_source *src)
{
	int ret = 0;

	if (!line_of(s, "repo"))
		ret = error("%s:%d: [source] has no 'repo' (a path or URL of a git repository)",
			    f->path, s->line);
	else if (!*src->repo)
		ret = error("%s:%d: empty 'repo' in [source]", f->path, line_of(s, "repo"));
	if (*src->artifact && !inside_path_ok(src->artifact))
		ret = error("%s:%d: 'artifact' must be a path inside the worktree, not '%s'",
			    f->path, line_of(s, "artifact"), src->artifact);
	if (!*src->branch)
		ret = error("%s:%d: empty 'branch' in [source]", f->path, line_of(s, "branch"));
	return ret;
}

static int check_source_build(const struct cfg_file *f, const struct cfg_section *s,
			      const struct job_source *src)
{
	char *bad = job_bad_placeholder(src->build);
	int ret = 0;

	if (bad) {
		ret = error("%s:%d: unknown placeholder '%s' in 'build' (known: {commit} "
			    "{worktree} {image}; write {{ for a literal {)", f->path,
			    line_of(s, "build"), bad);
		free(bad);
	}
	if (src->kind == SOURCE_KERNEL) {
		if (argv_len(src->build))
			ret = error("%s:%d: kind = kernel builds by itself: no 'build' command",
				    f->path, line_of(s, "build"));
		if (!*src->target || strpbrk(src->target, "/ ") || !*src->arch ||
		    strpbrk(src->arch, "/ "))
			ret = error("%s:%d: 'target' and 'arch' are plain names (bzImage, x86)",
				    f->path, s->line);
	} else if (argv_len(src->build) && !*src->artifact &&
		   !job_argv_uses(src->build, "image"))
		ret = error("%s:%d: the build command has no {image} and there is no "
			    "'artifact': nothing would become the image", f->path,
			    line_of(s, "build"));
	for (int i = 0; src->env && src->env[i]; i++)
		if (!job_env_entry_ok(src->env[i]))
			ret = error("%s:%d: 'env' entry '%s' is not NAME=value", f->path,
				    line_of(s, "env"), src->env[i]);
	return ret;
}

int job_source_check(const struct cfg_file *f, const struct cfg_section *s, void *target)
{
	const struct job_source *src = target;
	int a = check_source_paths(f, s, src);
	int b = check_source_build(f, s, src);

	return a || b ? -1 : 0;
}

int job_load(struct job *out, const char *path)
{
	const struct cfg_section *s;
	struct cfg_file f;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->path = xstrdup(path);
	opt_defaults(job_source_table, &out->source);
	if (cfg_file_load(&f, path))
		return -1;
	if (f.kind != CFG_JOB)
		ret = error("'%s' is not a job file", path);
	else if ((s = cfg_find(&f, "source"))) {
		out->has_source = 1;
		ret = cfg_section_apply(&f, s, job_source_table, &out->source);
	}
	cfg_file_release(&f);
	return ret;
}

void job_release(struct job *j)
{
	opt_release(job_source_table, &j->source);
	free(j->path);
	memset(j, 0, sizeof(*j));
}

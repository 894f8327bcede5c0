/*
 * perflab build --job FILE [--retry-failed] [COMMIT]: an image at a commit.
 * perflab images [list|prune]: the image cache.
 */
#include "harness/builtin.h"
#include "lab/build.h"
#include "lab/images.h"
#include "lab/job.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/parse.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct build_cli {
	char *job;
	int retry_failed;
};

static const struct opt build_table[] = {
	{ "job", 'j', OPT_STRING, offsetof(struct build_cli, job), 0, 0, NULL, NULL, "FILE",
	  "job file whose [source] says what to build and how" },
	{ "retry-failed", 0, OPT_BOOL, offsetof(struct build_cli, retry_failed), 0, 0, NULL,
	  "no", NULL, "build again a commit whose build failed before (cached as failed)" },
	OPT_END_ROW
};

static void build_usage(FILE *f)
{
	fprintf(f, "usage: perflab build --job FILE [--retry-failed] [COMMIT]\n\n"
		"Build the image of COMMIT (an id, short id, branch, tag, HEAD~3; default:\n"
		"the tip of the job's branch) in the job's persistent worktree, or find it\n"
		"in the image cache, keyed by tree, build command and toolchain.\n"
		"exit: 0 built or found, 1 the build failed (a skip: the log says why),\n"
		"128 nothing could be built (unknown revision, bad repository), 129 usage\n\n");
	opt_usage(f, build_table);
}

static int load_source(struct job *job, const char *path)
{
	if (!path)
		return error("no job file: give --job FILE");
	if (job_load(job, path))
		return -1;
	if (!job->has_source)
		return error("job file '%s' has no [source] section", path);
	return 0;
}

/* Text for a terminal: control characters become '?'. */
static void print_clean(const char *s, size_t max)
{
	size_t n = 0;

	for (const char *p = s; *p && n < max; p++, n++)
		putchar((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
	if (strlen(s) > max)
		fputs("...", stdout);
}

static void print_tail(const char *tail)
{
	const char *line = tail;

	while (*line) {
		const char *nl = strchr(line, '\n');
		int n = nl ? (int)(nl - line) : (int)strlen(line);

		printf("  | %.*s\n", n, line);
		line = nl ? nl + 1 : line + n;
	}
}

static int report_build(const struct build_result *r, const char *rev)
{
	char sz[32];

	if (r->image)
		printf("image   %s\n", r->image);
	printf("key     %s\ncommit  %s ", r->key, r->commit);
	print_clean(r->subject, 72);
	printf("\ntree    %s\n", r->tree);
	if (r->built_from && strcmp(r->built_from, r->commit))
		printf("built   from %s (the same tree)\n", r->built_from);
	printf("cache   %s\ntime    %.3f s\n", r->hit ? "hit" : "miss", r->seconds);
	if (!r->failed) {
		printf("size    %s\n", fmt_bytes((double)r->size, sz, sizeof(sz)));
		return EXIT_OK;
	}
	printf("status  failed: %s\nlog     %s\n", r->reason, r->log);
	print_tail(r->log_tail);
	error("build of '%s' failed (%s): a skip, not a result%s", rev, r->reason,
	      r->hit ? "; cached, --retry-failed builds it again" : "");
	return EXIT_FAIL;
}

int cmd_build(int argc, char **argv)
{
	struct build_cli o = { 0 };
	struct optset sets[] = { { build_table, &o }, { NULL, NULL } };
	struct build_result r;
	struct job job = { 0 };
	const char *rev;
	int i, ret;

	if (wants_help(argc, argv)) {
		build_usage(stdout);
		return EXIT_OK;
	}
	opt_defaults(build_table, &o);
	i = opt_parse(sets, argc, argv);
	if (i < 0 || argc - i > 1) {
		if (i >= 0)
			error("one revision at most, not '%s'", argv[i + 1]);
		build_usage(stderr);
		opt_release(build_table, &o);
		return EXIT_USAGE;
	}
	rev = i < argc ? argv[i] : NULL;
	if (load_source(&job, o.job)) {
		ret = EXIT_USAGE;
	} else if (!argv_len(job.source.build) && job.source.kind != SOURCE_KERNEL) {
		error("job file '%s' has no 'build' command in [source]", o.job);
		ret = EXIT_USAGE;
	} else if (build_at(&r, &job.source, rev, o.retry_failed ? BUILD_RETRY_FAILED : 0)) {
		ret = EXIT_FATAL;
	} else {
		ret = report_build(&r, rev ? rev : job.source.branch);
		build_result_release(&r);
	}
	job_release(&job);
	opt_release(build_table, &o);
	return ret;
}

/* ---- perflab images ---- */

struct images_cli {
	char *job;
	char *dir;
	int json;
	long keep;
	double older_than;
	int failed;
	int dry_run;
};

#define I(name, type, field, lo, hi, def, argh, help) \
	{ name, 0, type, offsetof(struct images_cli, field), lo, hi, NULL, def, argh, help }

static const struct opt images_table[] = {
	I("job", OPT_STRING, job, 0, 0, NULL, "FILE", "the cache of this job's [source]"),
	I("dir", OPT_STRING, dir, 0, 0, NULL, "DIR",
	  "the cache directory (default: the job's, else builds/images)"),
	I("json", OPT_BOOL, json, 0, 0, "no", NULL, "list as JSON"),
	OPT_END_ROW
};

static const struct opt prune_table[] = {
	I("keep", OPT_INT, keep, -1, 0, "-1", "N", "keep the N most recently used, -1 = all"),
	I("older-than", OPT_DURATION, older_than, 0, 0, "0", "SECS",
	  "remove images unused for longer than this (2h, 7d as 168h), 0 = no limit"),
	I("failed", OPT_BOOL, failed, 0, 0, "no", NULL, "remove failed builds"),
	I("dry-run", OPT_BOOL, dry_run, 0, 0, "no", NULL, "say what would go, remove nothing"),
	OPT_END_ROW
};

static void images_usage(FILE *f)
{
	fprintf(f, "usage: perflab images [list] [--job FILE | --dir DIR] [--json]\n"
		"       perflab images prune [--job FILE | --dir DIR] [--keep N]\n"
		"                            [--older-than DURATION] [--failed] [--dry-run]\n\n"
		"List the image cache, most recently used first, or prune it: prune removes\n"
		"every image that matches one of its rules, except images in use (locked by\n"
		"a running build or deploy), and says what it removed and the bytes freed.\n\n");
	opt_usage(f, images_table);
	fprintf(f, "\nprune:\n");
	opt_usage(f, prune_table);
}

static char *images_dir(const struct images_cli *o)
{
	struct job job;
	char *dir;

	if (o->dir)
		return xstrdup(o->dir);
	if (!o->job)
		return xstrdup("builds/images");
	if (load_source(&job, o->job)) {
		job_release(&job);
		return NULL;
	}
	dir = build_images_dir(&job.source);
	job_release(&job);
	return dir;
}

static const char *short_time(double t, char *buf, size_t len)
{
	time_t secs = (time_t)t;
	struct tm tm;

	localtime_r(&secs, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

static void list_text(const struct image_list *l, const char *dir)
{
	char sz[32], c[32], u[32];

	if (!l->nr) {
		printf("no images in '%s'\n", dir);
		return;
	}
	printf("%-12s  %-6s  %10s  %-19s  %-19s  %-12s  %s\n", "KEY", "STATUS", "SIZE",
	       "CREATED", "LAST USED", "COMMIT", "SUBJECT");
	for (size_t i = 0; i < l->nr; i++) {
		const struct image_meta *m = &l->v[i].meta;

		printf("%.12s  %-6s  %10s  %-19s  %-19s  %.12s  ", m->key,
		       m->status == IMAGE_OK ? "ok" : "failed",
		       fmt_bytes((double)m->size, sz, sizeof(sz)),
		       short_time(m->created, c, sizeof(c)), short_time(m->last_used, u, sizeof(u)),
		       m->commit);
		print_clean(m->subject, 60);
		putchar('\n');
	}
}

static void list_json(const struct image_list *l)
{
	json_t *a = json_array();
	char *text;

	for (size_t i = 0; i < l->nr; i++) {
		const struct image_entry *e = &l->v[i];
		json_t *o = image_meta_json(&e->meta);
		char *image = xasprintf("%s/image", e->dir);
		char *log = xasprintf("%s/%s", e->dir, e->meta.log);

		json_set_str(o, "path", e->dir);
		json_set_str(o, "image", e->meta.status == IMAGE_OK ? image : NULL);
		json_set_str(o, "log_path", log);
		json_set_int(o, "disk_bytes", (long long)e->disk_bytes);
		json_array_append_new(a, o);
		free(image);
		free(log);
	}
	text = json_dump_pretty(a);
	printf("%s\n", text);
	free(text);
	json_decref(a);
}

static int images_list_cmd(const struct images_cli *o, const char *dir)
{
	struct image_list l;

	if (images_list(&l, dir))
		return EXIT_FAIL;
	if (o->json)
		list_json(&l);
	else
		list_text(&l, dir);
	image_list_release(&l);
	return EXIT_OK;
}

static void say_pruned(const struct image_entry *e, int busy, void *data)
{
	const int *dry_run = data;
	char sz[32];

	printf("%s %.12s  %-6s  %10s  %.12s  ", busy ? "in use, kept" : *dry_run ?
	       "would remove" : "removed", e->meta.key,
	       e->meta.status == IMAGE_OK ? "ok" : "failed",
	       fmt_bytes((double)e->disk_bytes, sz, sizeof(sz)), e->meta.commit);
	print_clean(e->meta.subject, 50);
	putchar('\n');
}

static int images_prune_cmd(const struct images_cli *o, const char *dir)
{
	struct prune_opts po = { o->keep, o->older_than > 0 ? o->older_than : NAN,
				 o->failed, o->dry_run, (double)real_ns() / 1e9 };
	struct prune_result r;
	char sz[32];

	if (o->keep < 0 && !(o->older_than > 0) && !o->failed) {
		error("say what to prune: --keep N, --older-than DURATION or --failed");
		images_usage(stderr);
		return EXIT_USAGE;
	}
	if (images_prune(&r, dir, &po, say_pruned, (void *)&o->dry_run))
		return EXIT_FAIL;
	printf("%s %u image%s, %s %llu bytes (%s); %u kept, %u in use", o->dry_run ?
	       "would remove" : "removed", r.removed, r.removed == 1 ? "" : "s",
	       o->dry_run ? "freeing" : "freed", (unsigned long long)r.bytes,
	       fmt_bytes((double)r.bytes, sz, sizeof(sz)), r.kept, r.busy);
	if (r.stale)
		printf("; %u leftover%s of interrupted builds", r.stale, r.stale == 1 ? "" : "s");
	printf("\n");
	return EXIT_OK;
}

static int images_verb(int argc, char **argv, int prune)
{
	struct images_cli o = { 0 };
	struct optset sets[] = { { images_table, &o }, { prune_table, &o }, { NULL, NULL } };
	int i, ret = EXIT_USAGE;
	char *dir = NULL;

	if (wants_help(argc, argv)) {
		images_usage(stdout);
		return EXIT_OK;
	}
	opt_defaults(images_table, &o);
	opt_defaults(prune_table, &o);
	if (!prune)
		sets[1].table = NULL;
	i = opt_parse(sets, argc, argv);
	if (i >= 0 && i < argc)
		error("unexpected argument '%s'", argv[i]);
	if (i < 0 || i < argc)
		images_usage(stderr);
	else if (!(dir = images_dir(&o)))
		ret = EXIT_USAGE;
	else
		ret = prune ? images_prune_cmd(&o, dir) : images_list_cmd(&o, dir);
	free(dir);
	opt_release(images_table, &o);
	opt_release(prune_table, &o);
	return ret;
}

static int images_list_verb(int argc, char **argv)
{
	return images_verb(argc, argv, 0);
}

static int images_prune_verb(int argc, char **argv)
{
	return images_verb(argc, argv, 1);
}

static const struct subcmd images_subcmds[] = {
	{ "list", images_list_verb, "the cached images, newest first (the default)" },
	{ "prune", images_prune_verb, "remove images: --keep N, --older-than D, --failed" },
};

int cmd_images(int argc, char **argv)
{
	return subcmd_run("images", images_subcmds, ARRAY_SIZE(images_subcmds), images_list_verb,
			  argc, argv);
}

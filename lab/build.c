#include "lab/build.h"
#include "lab/images.h"
#include "lab/job.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/parse.h"
#include "common/spawn.h"
#include "common/strbuf.h"
#include "common/timeutil.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <git2/sys/repository.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define VERSION_TIMEOUT 10.0	/* seconds for `TOOL --version` */
#define VERSION_MAX 4096	/* bytes of its output kept */
#define STOP_GRACE 5.0		/* seconds between SIGTERM and SIGKILL */
#define TAIL_BYTES 65536	/* of the log read for its last lines */

/* Everything one build_at() holds: libgit2 handles, paths, locks. */
struct source {
	const struct job_source *src;
	git_repository *repo;
	git_commit *commit;
	git_tree *tree;
	char *workdir;		/* absolute */
	char *images;		/* absolute */
	char *worktree;		/* absolute: WORKDIR/worktrees/NAME-ID */
	char *builddir;		/* kind = kernel: WORKDIR/kbuild/NAME-ID, kept between builds */
	char *config;		/* kind = kernel: the fragment, absolute, or NULL */
	char *kernel_key;	/* kind = kernel: the config inputs as key text */
	char *toolchain;	/* the fingerprint text */
	char commit_hex[65];	/* the commit's id */
	char tree_hex[65];	/* its tree's id */
	int wt_fd;		/* worktree lock, -1 when not held */
};

static void git_done(void)
{
	git_libgit2_shutdown();
}

static void git_once(void)
{
	static int ready;

	if (ready)
		return;
	git_libgit2_init();
	atexit(git_done);
	ready = 1;
}

static int git_fail(const char *what, const char *subject)
{
	const git_error *e = git_error_last();

	return error("%s '%s': %s", what, subject,
		     e && e->message ? e->message : "libgit2 gives no reason");
}

static void source_release(struct source *s)
{
	git_tree_free(s->tree);
	git_commit_free(s->commit);
	git_repository_free(s->repo);
	free(s->workdir);
	free(s->images);
	free(s->worktree);
	free(s->builddir);
	free(s->config);
	free(s->kernel_key);
	free(s->toolchain);
	image_unlock(s->wt_fd);
	memset(s, 0, sizeof(*s));
	s->wt_fd = -1;
}

void build_result_release(struct build_result *r)
{
	free(r->subject);
	free(r->built_from);
	free(r->entry);
	free(r->image);
	free(r->log);
	free(r->reason);
	free(r->log_tail);
	image_unlock(r->lock_fd);
	memset(r, 0, sizeof(*r));
	r->lock_fd = -1;
}

int build_branch_ok(const char *name)
{
	char *ref = xasprintf("refs/heads/%s", name);
	int valid = 0;

	git_once();
	if (git_reference_name_is_valid(&valid, ref) < 0)
		valid = 0;
	free(ref);
	return valid;
}

/* One key field: "NAME LENGTH:VALUE\n". */
static void key_field(struct sha256 *c, const char *name, const char *value)
{
	char head[64];

	snprintf(head, sizeof(head), "%s %zu:", name, strlen(value));
	sha256_update(c, head, strlen(head));
	sha256_update(c, value, strlen(value));
	sha256_update(c, "\n", 1);
}

void build_key(char out[SHA256_HEX], const struct build_key_input *in)
{
	struct sha256 c;

	sha256_init(&c);
	key_field(&c, "perflab-image-key", "1");
	key_field(&c, "tree", in->tree);
	if (in->commit)
		key_field(&c, "commit", in->commit);
	for (int i = 0; in->argv && in->argv[i]; i++)
		key_field(&c, "argv", in->argv[i]);
	for (int i = 0; in->env && in->env[i]; i++)
		key_field(&c, "env", in->env[i]);
	key_field(&c, "artifact", in->artifact ? in->artifact : "");
	key_field(&c, "toolchain", in->toolchain ? in->toolchain : "");
	if (in->kernel)
		key_field(&c, "kernel", in->kernel);
	sha256_final_hex(&c, out);
}

/* NAME-ID for a directory: a readable name and a hash of what it stands for. */
static char *slug(const char *name, const char *identity)
{
	char hex[SHA256_HEX], clean[41];
	const char *base = strrchr(name, '/');
	size_t n = 0;

	base = base && base[1] ? base + 1 : name;
	for (const char *p = base; *p && n < sizeof(clean) - 1; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')
			clean[n++] = *p;
	clean[n] = '\0';
	sha256_hex(identity, strlen(identity), hex);
	hex[12] = '\0';
	return xasprintf("%s-%s", n ? clean : "repo", hex);
}

static char *worktree_slug(const struct job_source *src)
{
	struct strbuf id = STRBUF_INIT;
	char *res;

	strbuf_addf(&id, "repo %zu:%s\n", strlen(src->repo), src->repo);
	for (int i = 0; src->build && src->build[i]; i++)
		strbuf_addf(&id, "argv %zu:%s\n", strlen(src->build[i]), src->build[i]);
	for (int i = 0; src->env && src->env[i]; i++)
		strbuf_addf(&id, "env %zu:%s\n", strlen(src->env[i]), src->env[i]);
	if (src->kind == SOURCE_KERNEL)
		strbuf_addf(&id, "kernel %s %s %s %s\n", src->config, src->base_config, src->target,
			    src->arch);
	res = slug(src->repo, id.buf);
	strbuf_release(&id);
	return res;
}

/* mkdir -p, then the absolute path; the caller frees it. */
static char *abs_dir(const char *path)
{
	char *res;

	if (mkdir_p(path))
		return NULL;
	res = realpath(path, NULL);
	if (!res)
		error_errno("cannot resolve '%s'", path);
	return res;
}

char *build_images_dir(const struct job_source *src)
{
	if (src->images && *src->images)
		return xstrdup(src->images);
	return xasprintf("%s/images", src->workdir);
}

static int source_paths(struct source *s)
{
	char *images = build_images_dir(s->src), *wt = worktree_slug(s->src);
	int ret = 0;

	s->workdir = abs_dir(s->src->workdir);
	s->images = abs_dir(images);
	if (!s->workdir || !s->images)
		ret = -1;
	else
		s->worktree = xasprintf("%s/worktrees/%s", s->workdir, wt);
	if (!ret && s->src->kind == SOURCE_KERNEL) {
		s->builddir = xasprintf("%s/kbuild/%s", s->workdir, wt);
		if (*s->src->config && !(s->config = realpath(s->src->config, NULL)))
			ret = error_errno("cannot find the kernel config fragment '%s'",
					  s->src->config);
	}
	free(images);
	free(wt);
	return ret;
}

/* A URL ("ssh://", "https://", "file://") or scp-like "host:path". */
static int is_url(const char *s)
{
	const char *colon = strchr(s, ':'), *slash = strchr(s, '/');

	if (strstr(s, "://"))
		return 1;
	return colon && colon - s > 1 && (!slash || colon < slash) && !path_exists(s);
}

static const char *env_get(char *const *env, const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; env && env[i]; i++)
		if (!strncmp(env[i], name, n) && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

/* ---- the toolchain fingerprint ---- */

/* word's path in PATH, or NULL; the caller frees it. */
static char *which(const char *word, const char *path)
{
	char *dirs, *save = NULL, *res = NULL;

	if (strchr(word, '/'))
		return access(word, X_OK) ? NULL : xstrdup(word);
	dirs = xstrdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *d = strtok_r(dirs, ":", &save); d && !res; d = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/%s", *d ? d : ".", word);
		struct stat st;

		if (!stat(p, &st) && S_ISREG(st.st_mode) && !access(p, X_OK))
			res = p;
		else
			free(p);
	}
	free(dirs);
	return res;
}

/* Drain fd into out (at most max bytes kept) until EOF or the deadline. */
static void drain(int fd, struct strbuf *out, size_t max, uint64_t deadline)
{
	char buf[4096];

	for (;;) {
		uint64_t now = mono_ns();
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (now >= deadline || poll(&pf, 1, (int)((deadline - now) / NSEC_PER_MSEC) + 1) <= 0)
			return;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		if (out->len < max)
			strbuf_add(out, buf, (size_t)n < max - out->len ? (size_t)n : max - out->len);
	}
}

/* `path --version`: standard output only, bounded in time and size. */
static void tool_version(struct strbuf *out, const char *path)
{
	char *argv[] = { (char *)path, "--version", NULL };
	struct spawn_opts o = SPAWN_OPTS_INIT;
	struct strbuf text = STRBUF_INIT;
	struct child c;
	int pfd[2];

	if (pipe2(pfd, O_CLOEXEC))
		return;
	o.stdout_fd = pfd[1];
	o.stderr_path = "/dev/null";
	o.new_pgrp = 1;
	if (spawn_argv(&c, argv, &o)) {
		close(pfd[0]);
		close(pfd[1]);
		return;
	}
	close(pfd[1]);
	drain(pfd[0], &text, VERSION_MAX, mono_ns() + (uint64_t)(VERSION_TIMEOUT * 1e9));
	close(pfd[0]);
	child_stop(&c, 0.1);
	strbuf_rtrim(&text);
	for (char *line = text.buf, *nl; *line; line = nl ? nl + 1 : line + strlen(line)) {
		nl = strchr(line, '\n');
		strbuf_addf(out, "  %.*s\n", nl ? (int)(nl - line) : (int)strlen(line), line);
	}
	strbuf_release(&text);
}

static void fingerprint_tool(struct strbuf *out, const char *label, const char *word,
			     const char *path_env)
{
	char hex[SHA256_HEX], *path, *real;

	if (strchr(word, '/') && word[0] != '/') {
		strbuf_addf(out, "%s %s: in the worktree\n", label, word);
		return;
	}
	path = which(word, path_env);
	if (!path) {
		strbuf_addf(out, "%s %s: not found\n", label, word);
		return;
	}
	real = realpath(path, NULL);
	if (sha256_file_hex(path, hex))
		strcpy(hex, "unreadable");
	strbuf_addf(out, "%s %s: %s -> %s sha256 %s\n", label, word, path, real ? real : path, hex);
	tool_version(out, path);
	free(real);
	free(path);
}

int build_toolchain(struct strbuf *out, const struct job_source *src)
{
	const char *path_env = env_get(src->env, "PATH");
	const char *cc = env_get(src->env, "CC");
	char **ccv = NULL;
	const char *compiler = "cc";

	if (!path_env)
		path_env = getenv("PATH");
	if (cc && split_words(cc, &ccv) > 0)
		compiler = ccv[0];
	fingerprint_tool(out, "compiler", compiler, path_env);
	if (src->build && src->build[0] && strcmp(src->build[0], compiler))
		fingerprint_tool(out, "tool", src->build[0], path_env);
	argv_free(ccv);
	return 0;
}

/* ---- the repository: the job's own, or a mirror of a URL ---- */

static int mirror_fetch(git_repository *repo, const char *url)
{
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	git_remote *remote = NULL;
	int ret = 0;

	fo.prune = GIT_FETCH_PRUNE;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
	if (git_remote_lookup(&remote, repo, "origin") < 0 ||
	    git_remote_fetch(remote, NULL, &fo, "perflab: fetch") < 0)
		ret = git_fail("cannot fetch", url);
	git_remote_free(remote);
	return ret;
}

static int mirror_open(git_repository **out, const char *path, const char *url)
{
	git_remote *remote = NULL;
	char *head = xasprintf("%s/HEAD", path);
	int ret = 0;

	if (path_exists(head)) {
		if (git_repository_open_bare(out, path) < 0)
			ret = git_fail("cannot open the mirror", path);
	} else if (git_repository_init(out, path, 1) < 0 ||
		   git_remote_create_with_fetchspec(&remote, *out, "origin", url,
						    "+refs/*:refs/*") < 0) {
		ret = git_fail("cannot create a mirror of", url);
	}
	git_remote_free(remote);
	free(head);
	return ret;
}

/* Must rev be fetched first? Not when it is a full id we already have. */
static int needs_fetch(git_repository *repo, const char *rev)
{
	git_odb *odb = NULL;
	git_oid id;
	int have = 0;

	if (!rev || strlen(rev) != GIT_OID_HEXSZ || git_oid_fromstr(&id, rev) < 0)
		return 1;
	if (!git_repository_odb(&odb, repo))
		have = git_odb_exists(odb, &id);
	git_odb_free(odb);
	return !have;
}

/* In a mirror, HEAD stands for the job's branch. */
static void mirror_head(git_repository *repo, const char *branch)
{
	char *ref = xasprintf("refs/heads/%s", branch);

	if (git_repository_set_head(repo, ref) < 0)
		git_error_clear();
	free(ref);
}

static int open_mirror(struct source *s, const char *rev)
{
	char *name = slug(s->src->repo, s->src->repo);
	char *path = xasprintf("%s/mirrors/%s.git", s->workdir, name);
	char *lock = xasprintf("%s.lock", path);
	int fd = -1, ret = mkdir_p(path);

	if (!ret)
		ret = lock_file(&fd, lock, IMAGE_LOCK_EX);
	if (!ret)
		ret = mirror_open(&s->repo, path, s->src->repo);
	if (!ret && needs_fetch(s->repo, rev))
		ret = mirror_fetch(s->repo, s->src->repo);
	if (!ret)
		mirror_head(s->repo, s->src->branch);
	image_unlock(fd);
	free(lock);
	free(path);
	free(name);
	return ret;
}

static int open_repo(struct source *s, const char *rev)
{
	if (is_url(s->src->repo))
		return open_mirror(s, rev);
	if (git_repository_open_ext(&s->repo, s->src->repo, GIT_REPOSITORY_OPEN_NO_SEARCH,
				    NULL) < 0)
		return git_fail("cannot open the repository", s->src->repo);
	return 0;
}

/* ---- the revision ---- */

static int lookup_branch(git_object **out, struct source *s)
{
	char *ref = xasprintf("refs/heads/%s", s->src->branch);
	git_reference *r = NULL;
	int ret = 0;

	if (!build_branch_ok(s->src->branch))
		ret = error("'%s' is not a valid branch name", s->src->branch);
	else if (git_reference_lookup(&r, s->repo, ref) < 0)
		ret = error("no branch '%s' in '%s'", s->src->branch, s->src->repo);
	else if (git_reference_peel(out, r, GIT_OBJECT_COMMIT) < 0)
		ret = git_fail("cannot resolve branch", s->src->branch);
	git_reference_free(r);
	free(ref);
	return ret ? PERFLAB_ENOTFOUND : 0;
}

static int lookup_rev(git_object **out, struct source *s, const char *rev)
{
	int r = git_revparse_single(out, s->repo, rev);

	if (r == GIT_ENOTFOUND || r == GIT_EINVALIDSPEC) {
		error("unknown revision '%s' in '%s'", rev, s->src->repo);
		return PERFLAB_ENOTFOUND;
	}
	if (r == GIT_EAMBIGUOUS) {
		error("ambiguous revision '%s' in '%s': give more digits", rev, s->src->repo);
		return PERFLAB_ENOTFOUND;
	}
	return r < 0 ? git_fail("cannot resolve revision", rev) : 0;
}

static int resolve(struct source *s, const char *rev, struct build_result *out)
{
	git_object *obj = NULL, *peeled = NULL;
	const char *summary;
	int ret = rev ? lookup_rev(&obj, s, rev) : lookup_branch(&obj, s);

	if (ret)
		return ret;
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
		git_object_free(obj);
		error("revision '%s' is not a commit", rev ? rev : s->src->branch);
		return PERFLAB_ENOTFOUND;
	}
	git_object_free(obj);
	s->commit = (git_commit *)peeled;
	if (git_commit_tree(&s->tree, s->commit) < 0)
		return git_fail("cannot read the tree of", rev ? rev : s->src->branch);
	git_oid_tostr(s->commit_hex, sizeof(s->commit_hex), git_commit_id(s->commit));
	git_oid_tostr(s->tree_hex, sizeof(s->tree_hex), git_tree_id(s->tree));
	strcpy(out->commit, s->commit_hex);
	strcpy(out->tree, s->tree_hex);
	summary = git_commit_summary(s->commit);
	out->subject = xstrdup(summary ? summary : "");
	return 0;
}

/* ---- the worktree ---- */

struct wt_state {
	char tree[65];		/* checked out last, "" if unknown */
	char toolchain[SHA256_HEX]; /* sha256 of the fingerprint it was built with */
	int clean;		/* the last build ended without being killed */
};

static void state_load(struct wt_state *st, const char *worktree)
{
	char *path = xasprintf("%s.state", worktree);
	json_t *o = path_exists(path) ? json_load_path(path) : NULL;
	const char *tree = o ? json_get_str(o, "tree") : NULL;
	const char *tc = o ? json_get_str(o, "toolchain") : NULL;

	memset(st, 0, sizeof(*st));
	if (tree && tc && strlen(tree) < sizeof(st->tree) && strlen(tc) < sizeof(st->toolchain)) {
		strcpy(st->tree, tree);
		strcpy(st->toolchain, tc);
		st->clean = json_is_true(json_object_get(o, "clean"));
	}
	json_decref(o);
	free(path);
}

static int state_save(const struct wt_state *st, const char *worktree)
{
	char *path = xasprintf("%s.state", worktree);
	json_t *o = json_object();
	int ret;

	json_set_str(o, "tree", st->tree);
	json_set_str(o, "toolchain", st->toolchain);
	json_set(o, "clean", json_boolean(st->clean));
	ret = json_write_file(path, o, 0);
	json_decref(o);
	free(path);
	return ret;
}

/* The tree last checked out, if the worktree can be trusted to hold it. */
static git_tree *baseline(struct source *s, const struct wt_state *st, const char *tc)
{
	git_tree *t = NULL;
	git_oid id;

	if (!st->clean || strcmp(st->toolchain, tc) || git_oid_fromstr(&id, st->tree) < 0 ||
	    git_tree_lookup(&t, s->repo, &id) < 0) {
		git_error_clear();
		return NULL;
	}
	return t;
}

/* Start afresh: no worktree, no index, so libgit2 sees an initial checkout. */
static int wipe_worktree(const char *worktree)
{
	char *index = xasprintf("%s.index", worktree);
	int ret = remove_tree(worktree);

	if (unlink(index) && errno != ENOENT)
		ret = error_errno("cannot remove '%s'", index);
	free(index);
	return ret ? ret : mkdir_p(worktree);
}

/*
 * Point this repository handle at the worktree (in memory only: no
 * gitlink, no core.worktree written) with a private index, so libgit2's
 * view of modified and ignored files is the worktree's. Checking out
 * with target_directory instead makes libgit2 1.5 hash files in the
 * repository's own working directory, missing edits in ours.
 */
static int attach_worktree(struct source *s)
{
	char *path = xasprintf("%s.index", s->worktree);
	git_index *index = NULL;
	int ret = 0;

	if (git_repository_set_workdir(s->repo, s->worktree, 0) < 0 ||
	    git_index_open(&index, path) < 0 || git_repository_set_index(s->repo, index) < 0)
		ret = git_fail("cannot set up the worktree", s->worktree);
	git_index_free(index);
	free(path);
	return ret;
}

static int checkout(struct source *s, const char *tc_hash)
{
	git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
	struct wt_state st;
	git_tree *base;
	int ret;

	state_load(&st, s->worktree);
	base = baseline(s, &st, tc_hash);
	ret = base ? mkdir_p(s->worktree) : wipe_worktree(s->worktree);
	/* a wiped worktree starts a kernel's build directory afresh too */
	if (!ret && !base && s->builddir && path_exists(s->builddir))
		ret = remove_tree(s->builddir);
	if (!ret)
		ret = attach_worktree(s);
	co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED;
	co.baseline = base;
	if (!ret && git_checkout_tree(s->repo, (git_object *)s->tree, &co) < 0)
		ret = git_fail("cannot check out into", s->worktree);
	git_tree_free(base);
	if (ret)
		return ret;
	strcpy(st.tree, s->tree_hex);
	strcpy(st.toolchain, tc_hash);
	st.clean = 0;		/* until the build ends on its own */
	return state_save(&st, s->worktree);
}

static int mark_clean(struct source *s)
{
	struct wt_state st;

	state_load(&st, s->worktree);
	st.clean = 1;
	return state_save(&st, s->worktree);
}

/* ---- running the build ---- */

/* Copy a file, a symlink or a directory tree from src to dst. */
static int copy_path(const char *src, const char *dst);

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out, ret = 0;
	char buf[65536];
	ssize_t n;

	if (in < 0)
		return error_errno("cannot open '%s'", src);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
	if (out < 0) {
		close(in);
		return error_errno("cannot create '%s'", dst);
	}
	while (!ret && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write_all(out, buf, (size_t)n))
			ret = error_errno("cannot copy '%s' to '%s'", src, dst);
	}
	if (close(out) && !ret)
		ret = error_errno("cannot write '%s'", dst);
	close(in);
	return ret;
}

static int copy_dir(const char *src, const char *dst, mode_t mode)
{
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if (mkdir(dst, mode & 07777))
		return error_errno("cannot create '%s'", dst);
	d = opendir(src);
	if (!d)
		return error_errno("cannot read '%s'", src);
	while (!ret && (de = readdir(d))) {
		char *a, *b;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		a = xasprintf("%s/%s", src, de->d_name);
		b = xasprintf("%s/%s", dst, de->d_name);
		ret = copy_path(a, b);
		free(a);
		free(b);
	}
	closedir(d);
	return ret;
}

static int copy_path(const char *src, const char *dst)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (lstat(src, &st))
		return error_errno("cannot read '%s'", src);
	if (S_ISREG(st.st_mode))
		return copy_file(src, dst, st.st_mode);
	if (S_ISDIR(st.st_mode))
		return copy_dir(src, dst, st.st_mode);
	if (!S_ISLNK(st.st_mode))
		return error("'%s' is neither a file, a directory nor a symlink", src);
	n = readlink(src, target, sizeof(target) - 1);
	if (n < 0)
		return error_errno("cannot read link '%s'", src);
	target[n] = '\0';
	return symlink(target, dst) ? error_errno("cannot create '%s'", dst) : 0;
}

/* The last lines of a file (at most TAIL_BYTES read); the caller frees it. */
static char *file_tail(const char *path, int lines)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	off_t end;
	ssize_t n;
	size_t start;

	if (fd < 0)
		return xstrdup("");
	end = lseek(fd, 0, SEEK_END);
	lseek(fd, end > TAIL_BYTES ? end - TAIL_BYTES : 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(&sb, buf, (size_t)n);
	close(fd);
	strbuf_rtrim(&sb);
	start = sb.len;
	while (start > 0 && lines > 0)
		if (sb.buf[--start] == '\n' && --lines == 0)
			start++;
	memmove(sb.buf, sb.buf + start, sb.len - start + 1);
	strbuf_setlen(&sb, sb.len - start);
	return strbuf_detach(&sb, NULL);
}

/* Words for a human (the log's header), quoted where a shell would need it. */
static void argv_display(struct strbuf *out, char *const *argv)
{
	for (int i = 0; argv && argv[i]; i++) {
		const char *w = argv[i];

		if (i)
			strbuf_addch(out, ' ');
		if (*w && !strpbrk(w, " \t\n'\"\\$`;&|<>()*?[]{}!#~"))
			strbuf_addstr(out, w);
		else {
			strbuf_addch(out, '\'');
			for (const char *p = w; *p; p++) {
				if (*p == '\'')
					strbuf_addstr(out, "'\\''");
				else
					strbuf_addch(out, *p);
			}
			strbuf_addch(out, '\'');
		}
	}
}

struct run {
	char *dir;		/* the temporary entry */
	char *image;		/* DIR/image */
	char *log;		/* DIR/build.log */
	int exit_code;		/* -1 when the command did not exit */
	int killed;		/* by us (timeout) or by a signal */
	char *reason;		/* NULL while all is well */
};

static int log_open(struct run *r, struct source *s, char *const *argv, const char *key)
{
	int fd = open(r->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	struct strbuf sb = STRBUF_INIT;
	char t[40];

	if (fd < 0)
		return error_errno("cannot create '%s'", r->log);
	strbuf_addf(&sb, "# perflab build, %s\n# commit   %s\n# tree     %s\n# key      %s\n"
		    "# worktree %s\n# command  ", fmt_time_utc(real_ns(), t, sizeof(t)),
		    s->commit_hex, s->tree_hex, key, s->worktree);
	argv_display(&sb, argv);
	strbuf_addstr(&sb, "\n");
	if (write_all(fd, sb.buf, sb.len)) {
		strbuf_release(&sb);
		close(fd);
		return error_errno("cannot write '%s'", r->log);
	}
	strbuf_release(&sb);
	return fd;
}

/* Wait for the build; past its deadline kill its whole process group. */
static void wait_build(struct run *r, struct child *c, double timeout)
{
	pid_t pgid = c->pid;

	if (child_wait(c, timeout) == PERFLAB_ETIMEOUT) {
		child_stop(c, STOP_GRACE);
		kill(-pgid, SIGKILL);	/* whatever ignored SIGTERM or outlived the leader */
		r->killed = 1;
		r->reason = xasprintf("timeout after %g s; its process group was killed", timeout);
		return;
	}
	r->exit_code = child_exit_code(c);
	if (WIFSIGNALED(c->status)) {
		r->killed = 1;
		r->reason = xasprintf("killed by signal %d", WTERMSIG(c->status));
	} else if (r->exit_code) {
		r->reason = xasprintf("exit %d", r->exit_code);
	}
}

static int spawn_build(struct run *r, struct source *s, char *const *argv, int log_fd)
{
	struct spawn_opts o = SPAWN_OPTS_INIT;
	struct child c;

	o.cwd = s->worktree;
	o.stdout_fd = log_fd;
	o.stderr_path = "&1";
	o.new_pgrp = 1;
	o.die_with_parent = 1;
	o.env = s->src->env;
	if (spawn_argv(&c, argv, &o)) {
		r->reason = xasprintf("cannot run '%s': %s", argv[0], strerror(errno));
		return 0;
	}
	wait_build(r, &c, s->src->build_timeout);
	return 0;
}

static void log_outcome(struct run *r)
{
	int fd = open(r->log, O_WRONLY | O_APPEND | O_CLOEXEC);
	char *line = xasprintf("# perflab: %s%s\n", r->reason ? "build failed: " : "build ok",
			       r->reason ? r->reason : "");

	if (fd >= 0) {
		if (write_all(fd, line, strlen(line)))
			warning_errno("cannot write '%s'", r->log);
		close(fd);
	}
	free(line);
}

/* The artifact into the entry, unless the build wrote {image} itself. */
static void collect_image(struct run *r, struct source *s)
{
	const char *artifact = s->src->artifact;
	char *from;

	if (!*artifact) {
		if (!path_exists(r->image))
			r->reason = xstrdup("the build wrote nothing to {image}");
		return;
	}
	from = xasprintf("%s/%s", s->worktree, artifact);
	if (!path_exists(from))
		r->reason = xasprintf("no artifact '%s' in the worktree after the build", artifact);
	else if (remove_tree(r->image) || copy_path(from, r->image))
		r->reason = xasprintf("cannot copy the artifact '%s' into the cache", artifact);
	free(from);
}

/* One step of a kernel build, its command logged; r->reason says if it failed. */
static int kernel_step(struct run *r, struct source *s, char *const *argv, const char *key)
{
	int fd = log_open(r, s, argv, key), ret;

	if (fd < 0)
		return -1;
	ret = spawn_build(r, s, argv, fd);
	close(fd);
	return ret;
}

/*
 * kind = kernel: the base config (a make target, or a file copied in),
 * the fragment merged on it by the kernel's own merge_config.sh, make
 * olddefconfig, make TARGET, all out of tree in the build directory
 * kept between builds (so the next commit rebuilds only what changed).
 */
static int run_kernel_build(struct run *r, struct source *s, const char *key)
{
	const struct job_source *src = s->src;
	char *o = xasprintf("O=%s", s->builddir), *dotconfig = xasprintf("%s/.config", s->builddir);
	char *merge = xasprintf("%s/scripts/kconfig/merge_config.sh", s->worktree);
	char *jobs = xasprintf("-j%ld", src->jobs > 0 ? src->jobs : sysconf(_SC_NPROCESSORS_ONLN));
	char *image = xasprintf("%s/arch/%s/boot/%s", s->builddir, src->arch, src->target);
	char *base[] = { "make", "-s", o, src->base_config, NULL };
	char *frag[] = { merge, "-m", "-O", s->builddir, dotconfig, s->config, NULL };
	char *old[] = { "make", "-s", o, "olddefconfig", NULL };
	char *build[] = { "make", "-s", o, jobs, src->target, NULL };
	int file_base = strchr(src->base_config, '/') || path_exists(src->base_config);
	int ret = mkdir_p(s->builddir);

	if (!ret && file_base && copy_file(src->base_config, dotconfig, 0644))
		r->reason = xasprintf("cannot copy the base config '%s'", src->base_config);
	if (!ret && !file_base)
		ret = kernel_step(r, s, base, key);
	if (!ret && !r->reason && s->config)
		ret = kernel_step(r, s, frag, key);
	if (!ret && !r->reason)
		ret = kernel_step(r, s, old, key);
	if (!ret && !r->reason)
		ret = kernel_step(r, s, build, key);
	if (!ret && !r->reason) {
		if (!path_exists(image))
			r->reason = xasprintf("no '%s' after the build", image);
		else if (copy_path(image, r->image))
			r->reason = xasprintf("cannot copy '%s' into the cache", image);
	}
	if (!ret)
		log_outcome(r);
	free(o);
	free(dotconfig);
	free(merge);
	free(jobs);
	free(image);
	return ret;
}

static int run_build(struct run *r, struct source *s, const char *key)
{
	struct job_vars v = { s->commit_hex, s->worktree, r->image };
	char **argv = NULL;
	int fd, ret;

	if (s->src->kind == SOURCE_KERNEL)
		return run_kernel_build(r, s, key);
	if (job_expand_argv(&argv, s->src->build, &v))
		return -1;
	fd = log_open(r, s, argv, key);
	ret = fd < 0 ? -1 : spawn_build(r, s, argv, fd);
	if (fd >= 0)
		close(fd);
	if (!ret && !r->reason)
		collect_image(r, s);
	if (!ret)
		log_outcome(r);
	argv_free(argv);
	return ret;
}

/* ---- the cache entry ---- */

static void meta_fill(struct image_meta *m, const struct source *s, const struct build_result *out,
		      const struct run *r, double build_s)
{
	m->key = xstrdup(out->key);
	m->status = r->reason ? IMAGE_FAILED : IMAGE_OK;
	m->repo = xstrdup(s->src->repo);
	m->commit = xstrdup(out->commit);
	m->tree = xstrdup(out->tree);
	m->subject = xstrdup(out->subject);
	m->argv = argv_dup(s->src->build);
	m->env = s->src->env ? argv_dup(s->src->env) : xcalloc(1, sizeof(char *));
	m->artifact = xstrdup(s->src->artifact);
	m->toolchain = xstrdup(s->toolchain);
	m->size = r->reason ? 0 : disk_usage(r->image);
	m->created = m->last_used = (double)real_ns() / 1e9;
	m->build_s = build_s;
	m->exit_code = r->exit_code;
	m->reason = xstrdup(r->reason ? r->reason : "");
	m->log_tail = r->reason ? file_tail(r->log, IMAGE_LOG_TAIL) : xstrdup("");
	m->log = xstrdup("build.log");
}

/* The result as a user and the caller see it, from an entry's meta. */
static void result_from_meta(struct build_result *out, const char *entry,
			     const struct image_meta *m)
{
	out->entry = xstrdup(entry);
	out->built_from = xstrdup(m->commit);
	out->log = xasprintf("%s/%s", entry, m->log);
	out->image = m->status == IMAGE_OK ? xasprintf("%s/image", entry) : NULL;
	out->failed = m->status == IMAGE_FAILED;
	out->exit_code = m->exit_code;
	out->reason = xstrdup(m->reason);
	out->log_tail = xstrdup(m->log_tail);
	out->size = m->size;
	out->build_s = m->build_s;
}

static int write_entry(struct source *s, struct build_result *out, struct run *r,
		       double build_s)
{
	struct image_meta m = { 0 };
	char *entry = image_entry_dir(s->images, out->key);
	int ret;

	meta_fill(&m, s, out, r, build_s);
	ret = image_meta_save(&m, r->dir);
	if (!ret && (ret = rename_noreplace(r->dir, entry)) == PERFLAB_EEXISTS)
		ret = error("cache entry '%s' appeared while it was locked", entry);
	if (!ret)
		result_from_meta(out, entry, &m);
	image_meta_release(&m);
	free(entry);
	return ret;
}

static void run_release(struct run *r)
{
	if (r->dir && path_exists(r->dir))
		remove_tree(r->dir);
	free(r->dir);
	free(r->image);
	free(r->log);
	free(r->reason);
}

/* Check out, build, and file the outcome in the cache (ok or failed). */
static int build_miss(struct source *s, struct build_result *out)
{
	struct run r = { .exit_code = -1 };
	char *wt_lock = xasprintf("%s.lock", s->worktree);
	char tc_hash[SHA256_HEX];
	uint64_t t0 = mono_ns();
	int ret;

	sha256_hex(s->toolchain, strlen(s->toolchain), tc_hash);
	r.dir = xasprintf("%s/.tmp-%s.%ld", s->images, out->key, (long)getpid());
	r.image = xasprintf("%s/image", r.dir);
	r.log = xasprintf("%s/build.log", r.dir);
	ret = remove_tree(r.dir) || mkdir_p(r.dir) || mkdir_p(s->workdir) ? -1 : 0;
	if (!ret && !(ret = mkdir_p(s->worktree)))
		ret = lock_file(&s->wt_fd, wt_lock, IMAGE_LOCK_EX);
	if (!ret)
		ret = checkout(s, tc_hash);
	if (!ret)
		ret = run_build(&r, s, out->key);
	if (!ret && !r.killed)
		ret = mark_clean(s);
	if (!ret)
		ret = write_entry(s, out, &r, (double)(mono_ns() - t0) / 1e9);
	run_release(&r);
	free(wt_lock);
	return ret;
}

static int image_present(const char *entry)
{
	char *image = xasprintf("%s/image", entry);
	int ret = path_exists(image);

	free(image);
	return ret;
}

/*
 * With the entry locked: 1 when it exists and serves (a failed build
 * counts unless retried), 0 when it must be built, -1 on error. A
 * broken entry is removed and built again.
 */
static int try_hit(struct source *s, struct build_result *out, unsigned flags)
{
	char *entry = image_entry_dir(s->images, out->key);
	struct image_meta m;
	int ret = 0;

	if (!is_dir(entry)) {
		free(entry);
		return 0;
	}
	if (image_meta_load(&m, entry)) {
		warning("rebuilding the unreadable cache entry '%s'", entry);
		ret = remove_tree(entry);
	} else if (m.status == IMAGE_OK && !image_present(entry)) {
		warning("rebuilding the cache entry '%s': its image is missing", entry);
		ret = remove_tree(entry);
	} else if (m.status == IMAGE_FAILED && (flags & BUILD_RETRY_FAILED)) {
		ret = remove_tree(entry);
	} else {
		m.last_used = (double)real_ns() / 1e9;
		ret = image_meta_save(&m, entry);
		if (!ret) {
			result_from_meta(out, entry, &m);
			out->hit = 1;
			ret = 1;
		}
	}
	image_meta_release(&m);
	free(entry);
	return ret;
}

static int serve(struct source *s, struct build_result *out, unsigned flags)
{
	int r = try_hit(s, out, flags);

	if (r)
		return r < 0 ? -1 : 0;
	return build_miss(s, out);
}

/* What a kernel image depends on besides the tree: the config inputs, by content. */
static int kernel_key(struct source *s)
{
	const struct job_source *src = s->src;
	struct strbuf sb = STRBUF_INIT;
	char hex[SHA256_HEX];
	int file_base = strchr(src->base_config, '/') || path_exists(src->base_config);

	strbuf_addf(&sb, "target %s\narch %s\nbase %s", src->target, src->arch, src->base_config);
	if (file_base && sha256_file_hex(src->base_config, hex))
		return error_errno("cannot read the base config '%s'", src->base_config);
	if (file_base)
		strbuf_addf(&sb, " sha256 %s", hex);
	if (s->config && sha256_file_hex(s->config, hex)) {
		strbuf_release(&sb);
		return error_errno("cannot read the config fragment '%s'", s->config);
	}
	strbuf_addf(&sb, "\nfragment %s", s->config ? hex : "none");
	s->kernel_key = strbuf_detach(&sb, NULL);
	return 0;
}

static int prepare(struct source *s, const char *rev, struct build_result *out)
{
	struct strbuf tc = STRBUF_INIT;
	struct build_key_input in = { 0 };
	int ret;

	if (!argv_len(s->src->build) && s->src->kind != SOURCE_KERNEL)
		return error("the job has no 'build' command in [source]");
	if ((ret = source_paths(s)) || (ret = open_repo(s, rev)) || (ret = resolve(s, rev, out)))
		return ret;
	build_toolchain(&tc, s->src);
	s->toolchain = strbuf_detach(&tc, NULL);
	in.tree = out->tree;
	in.commit = job_argv_uses(s->src->build, "commit") ? out->commit : NULL;
	in.argv = s->src->build;
	in.env = s->src->env;
	in.artifact = s->src->artifact;
	in.toolchain = s->toolchain;
	if (s->src->kind == SOURCE_KERNEL && kernel_key(s))
		return -1;
	in.kernel = s->kernel_key;
	build_key(out->key, &in);
	return 0;
}

int build_at(struct build_result *out, const struct job_source *src, const char *rev,
	     unsigned flags)
{
	struct source s = { .src = src, .wt_fd = -1 };
	uint64_t t0 = mono_ns();
	int ret;

	memset(out, 0, sizeof(*out));
	out->lock_fd = -1;
	out->exit_code = -1;
	git_once();
	ret = prepare(&s, rev, out);
	if (!ret)
		ret = image_lock(&out->lock_fd, s.images, out->key, IMAGE_LOCK_EX);
	if (!ret)
		ret = serve(&s, out, flags);
	if (!ret && flock(out->lock_fd, LOCK_SH))
		ret = error_errno("cannot downgrade the lock of '%s'", out->key);
	out->seconds = (double)(mono_ns() - t0) / 1e9;
	source_release(&s);
	return ret;
}

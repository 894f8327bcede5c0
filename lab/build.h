#ifndef LAB_BUILD_H
#define LAB_BUILD_H

#include <stdint.h>

#include "common/sha256.h"

struct job_source;
struct strbuf;

/*
 * Builds at commits. This module owns every libgit2 handle perflab
 * uses for builds (repository, commit, tree, index, remote); nothing
 * of libgit2 crosses its interface.
 *
 * Layout under the job's workdir (default "builds"):
 *
 *   worktrees/NAME-ID/        one persistent worktree per job, ID a hash
 *                             of repo, build command and env
 *   worktrees/NAME-ID.index   libgit2's index of that worktree (private:
 *                             the job's repository is never written to)
 *   worktrees/NAME-ID.state   tree checked out, toolchain, clean or not
 *   mirrors/NAME-ID.git       a bare mirror when repo is a URL
 *   images/                   the image cache (images.h), unless the job
 *                             names another directory
 *
 * The worktree is a plain directory. libgit2 checks the commit's tree
 * out into it with GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED:
 * tracked files are made to match the commit (local edits are
 * discarded), files the commit does not have and the tree's .gitignore
 * does not ignore are removed, and ignored files -- the build's
 * products (*.o, the kernel's .config and objects) -- are kept, so the
 * next build is incremental. A build that was killed (timeout, signal)
 * or a change of toolchain may leave half-written or stale products
 * that make would trust, so after one of those the worktree is wiped
 * and checked out afresh.
 *
 * The key of an image is the sha256 of these fields, each written as
 * "NAME LENGTH:VALUE\n" (so no two inputs can collide by shifting text
 * between fields):
 *
 *   perflab-image-key 1
 *   tree       the commit's tree id (content addressing: a commit with
 *              the same tree, a revert or an empty commit, is a hit)
 *   commit     the commit id, only when the build command uses {commit}
 *              (then the image may embed it, so the tree is not enough)
 *   argv       each word of the build command as configured, one field
 *              per word, placeholders unsubstituted
 *   env        each entry of the job's env
 *   artifact   the artifact path as configured
 *   toolchain  the toolchain fingerprint below
 *
 * The toolchain fingerprint is text: for the compiler (the first word
 * of CC in the job's env, else "cc") and for the build command's first
 * word, when that is a program found in PATH (the job's env PATH if it
 * sets one) rather than a path inside the worktree, one line
 *
 *   LABEL WORD: RESOLVED-PATH -> REAL-PATH sha256 HEX-OF-THE-EXECUTABLE
 *
 * followed by the standard output of `RESOLVED-PATH --version` (at most
 * 4 KiB, 10 s, standard error discarded), each line indented by two
 * spaces; "LABEL WORD: not found" when it is not in PATH. A program
 * named by a path in the worktree is part of the tree and adds
 * "LABEL WORD: in the worktree". Tools the build runs indirectly (make
 * calling ld) are not fingerprinted: name them in the build command or
 * CC to have them counted.
 */
#define BUILD_RETRY_FAILED 1u	/* build again a key whose build failed */

struct build_result {
	char key[SHA256_HEX];	/* the image's cache key */
	char commit[65];	/* hex id of the commit asked for */
	char tree[65];		/* hex id of its tree */
	char *subject;		/* its subject, verbatim */
	char *built_from;	/* the commit the cached image was built from */
	char *entry;		/* the cache entry directory */
	char *image;		/* ENTRY/image; NULL when the build failed */
	char *log;		/* the build log */
	int hit;		/* served from the cache: no checkout, no build */
	int failed;		/* the build failed: a skip, not a result */
	int exit_code;		/* of the build command; -1 if it did not exit */
	char *reason;		/* why it failed ("exit 2", "timeout after 60 s") */
	char *log_tail;		/* the log's last lines when it failed */
	uint64_t size;		/* bytes of the image */
	double build_s;		/* seconds the build took when it ran */
	double seconds;		/* seconds build_at took, hit or miss */
	int lock_fd;		/* shared lock on the entry: the image is in use */
};

/*
 * Build the revision rev (a commit id, short id, branch, tag, "HEAD~3";
 * NULL: the tip of the job's branch) of src, or find its image in the
 * cache. Returns 0 with out filled when there is an outcome, a built or
 * cached image or a failed build (out->failed; a skip); a negative
 * code when nothing could be tried: PERFLAB_ENOTFOUND for a revision
 * that does not exist, -1 for other errors (reported). The entry stays
 * locked (shared) until build_result_release(), so a prune leaves it
 * alone while the caller uses the image.
 */
int build_at(struct build_result *out, const struct job_source *src, const char *rev,
	     unsigned flags);
void build_result_release(struct build_result *r);

/* The image cache directory of src (not created); the caller frees it. */
char *build_images_dir(const struct job_source *src);

/* The toolchain fingerprint of src, appended to out (see above). */
int build_toolchain(struct strbuf *out, const struct job_source *src);

/* What goes into a key (see above); commit NULL leaves it out. */
struct build_key_input {
	const char *tree;
	const char *commit;
	char *const *argv;
	char *const *env;
	const char *artifact;
	const char *toolchain;
	const char *kernel;	/* kind = kernel: its config inputs as text, else NULL */
};
void build_key(char out[SHA256_HEX], const struct build_key_input *in);

/* Is name a valid branch name (refs/heads/NAME)? */
int build_branch_ok(const char *name);

#endif

#ifndef COLLECTORS_SYMBOLIZE_H
#define COLLECTORS_SYMBOLIZE_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Turning a sampled (pid, address) into a function and a module name.
 *
 * The symbolizer keeps what the kernel told us about each process's
 * executable mappings (PERF_RECORD_MMAP2, COMM, FORK, EXIT from the
 * ring buffers) so that a process that exited before its samples are
 * read still resolves. Processes that were running before sampling
 * started are read once from /proc/PID/maps (as perf synthesizes them).
 * ELF files are read once per path, lazily, at their first sample.
 */
struct symbolizer;

/* Where a sampled address landed. The strings belong to the symbolizer. */
struct sym_hit {
	const char *func;	/* function name, or "[unknown]" */
	const char *module;	/* "kernel", "[ext4]", a DSO basename, or "[unknown]" */
};

/*
 * Create a symbolizer. Kernel symbols come from kallsyms_path
 * ("/proc/kallsyms"; NULL: none); when they cannot be read, kernel
 * samples resolve to "[unknown]" in "kernel" and a note says why, once.
 */
struct symbolizer *symbolizer_new(const char *kallsyms_path);
void symbolizer_free(struct symbolizer *s);

/* An executable mapping of a file (or "[vdso]", "//anon") in process pid. */
void symbolizer_mmap(struct symbolizer *s, pid_t pid, uint64_t start, uint64_t len,
		     uint64_t pgoff, const char *path);
/* The process exec'd (exec set) or renamed itself: exec drops its maps. */
void symbolizer_comm(struct symbolizer *s, pid_t pid, const char *comm, int exec);
/* A new process child of parent: it starts with a copy of parent's maps. */
void symbolizer_fork(struct symbolizer *s, pid_t child, pid_t parent);
/* The process is gone: forget it (its samples were handled before). */
void symbolizer_exit(struct symbolizer *s, pid_t pid);
/*
 * Read the maps of processes already running: one pid, or every
 * process when pid is -1. Returns how many processes were read.
 */
int symbolizer_scan_proc(struct symbolizer *s, pid_t pid);

/* Resolve an address sampled in kernel mode, or in pid's user space. */
void symbolizer_kernel(struct symbolizer *s, uint64_t ip, struct sym_hit *out);
void symbolizer_user(struct symbolizer *s, pid_t pid, uint64_t ip, struct sym_hit *out);

/* One line of /proc/PID/maps. */
struct maps_line {
	uint64_t start, end;	/* [start, end) virtual addresses */
	uint64_t pgoff;		/* file offset of start, bytes */
	int exec;		/* the 'x' permission */
	const char *path;	/* points into the line; "" when anonymous */
	int path_len;
};

/*
 * Parse the text of /proc/PID/maps, calling fn for each line; a line
 * that does not parse is an error naming origin and the line number.
 * fn returning non-zero stops the walk with that value.
 */
typedef int (*maps_fn)(const struct maps_line *m, void *data);
int proc_maps_parse(const char *text, const char *origin, maps_fn fn, void *data);

#endif

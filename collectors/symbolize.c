/*
 * The symbolizer: processes' executable mappings as the kernel reported
 * them, the DSOs they map, and the kernel's symbols.
 */
#include "collectors/symbolize.h"
#include "collectors/symbols.h"
#include "common/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NBUCKETS 4096		/* hash buckets for processes and DSOs */
#define MAPS_MAX (64u << 20)	/* bytes; refuse larger /proc/PID/maps */

static const char unknown[] = "[unknown]";

struct dso {
	char *path;		/* owned; as the mapping names it */
	const char *base;	/* basename, shown as the module */
	int state;		/* 0 not read yet, 1 read, -1 unreadable */
	struct elf_syms elf;
	struct dso *next;	/* hash chain */
};

struct map {
	uint64_t start, end;	/* [start, end) virtual addresses */
	uint64_t pgoff;		/* file offset of start, bytes */
	struct dso *dso;	/* NULL: anonymous memory */
};

struct proc {
	pid_t pid;
	int scanned;		/* /proc/PID/maps was read (or tried) */
	int rescanned;		/* ... and once more, for an address it missed */
	struct map *maps;	/* sorted by start, not overlapping */
	size_t nr, alloc;
	struct proc *next;	/* hash chain */
};

struct symbolizer {
	struct symtab kernel;
	int have_kernel;
	struct proc *procs[NBUCKETS];
	unsigned long nprocs;
	struct dso *dsos[NBUCKETS];
	unsigned long ndsos;
};

static unsigned hash_str(const char *s)
{
	unsigned h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % NBUCKETS;
}

static struct proc *proc_find(struct symbolizer *s, pid_t pid, int create)
{
	unsigned b = (unsigned)pid % NBUCKETS;
	struct proc *p;

	for (p = s->procs[b]; p; p = p->next)
		if (p->pid == pid)
			return p;
	if (!create)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->pid = pid;
	p->next = s->procs[b];
	s->procs[b] = p;
	s->nprocs++;
	return p;
}

static struct dso *dso_find(struct symbolizer *s, const char *path)
{
	unsigned b = hash_str(path);
	struct dso *d;
	const char *slash;

	for (d = s->dsos[b]; d; d = d->next)
		if (!strcmp(d->path, path))
			return d;
	d = xcalloc(1, sizeof(*d));
	d->path = xstrdup(path);
	slash = strrchr(d->path, '/');
	d->base = slash && slash[1] && d->path[0] == '/' ? slash + 1 : d->path;
	d->next = s->dsos[b];
	s->dsos[b] = d;
	s->ndsos++;
	return d;
}

struct symbolizer *symbolizer_new(const char *kallsyms_path)
{
	struct symbolizer *s = xcalloc(1, sizeof(*s));
	int ret;

	symtab_init(&s->kernel);
	if (!kallsyms_path)
		return s;
	ret = kallsyms_load(&s->kernel, kallsyms_path);
	if (ret == PERFLAB_ENOTFOUND)
		note("'%s' hides kernel addresses (kernel.kptr_restrict); kernel "
		     "samples show as [unknown]", kallsyms_path);
	else if (ret)
		note("no kernel symbols; kernel samples show as [unknown]");
	s->have_kernel = !ret;
	return s;
}

static void proc_free(struct proc *p)
{
	free(p->maps);
	free(p);
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	for (int b = 0; b < NBUCKETS; b++) {
		while (s->procs[b]) {
			struct proc *p = s->procs[b];

			s->procs[b] = p->next;
			proc_free(p);
		}
		while (s->dsos[b]) {
			struct dso *d = s->dsos[b];

			s->dsos[b] = d->next;
			elf_syms_release(&d->elf);
			free(d->path);
			free(d);
		}
	}
	symtab_release(&s->kernel);
	free(s);
}

/*
 * Insert [m->start, m->end) into p's maps, cutting away whatever it
 * overlaps: a new mmap over an old range replaces it, as in the kernel.
 */
static void maps_insert(struct proc *p, const struct map *m)
{
	struct map *old = p->maps, *keep;
	size_t n = 0, nr = p->nr, at = 0;

	keep = xmalloc((nr * 2 + 1) * sizeof(*keep));
	for (size_t i = 0; i < nr; i++) {
		struct map o = old[i];

		if (o.end <= m->start || o.start >= m->end) {
			keep[n++] = o;
			continue;
		}
		if (o.start < m->start)
			keep[n++] = (struct map){ o.start, m->start, o.pgoff, o.dso };
		if (o.end > m->end)
			keep[n++] = (struct map){ m->end, o.end,
						  o.pgoff + (m->end - o.start), o.dso };
	}
	/* keep[] is sorted and m fits in a gap now */
	while (at < n && keep[at].start < m->start)
		at++;
	memmove(keep + at + 1, keep + at, (n - at) * sizeof(*keep));
	keep[at] = *m;
	free(old);
	p->maps = keep;
	p->nr = n + 1;
	p->alloc = nr * 2 + 1;
}

/* A file we may read: not "//anon", not unlinked since it was mapped. */
static int path_is_file(const char *path)
{
	return path[0] == '/' && path[1] != '/' && !strstr(path, " (deleted)");
}

void symbolizer_mmap(struct symbolizer *s, pid_t pid, uint64_t start, uint64_t len,
		     uint64_t pgoff, const char *path)
{
	struct map m = { start, start + len, pgoff, NULL };

	if (!len || start + len < start)
		return;
	if (path && (path_is_file(path) || !strcmp(path, "[vdso]")))
		m.dso = dso_find(s, path);
	maps_insert(proc_find(s, pid, 1), &m);
}

void symbolizer_comm(struct symbolizer *s, pid_t pid, const char *comm, int exec)
{
	struct proc *p;

	if (!exec)
		return;
	/* a new image: the maps that follow are the new program's */
	p = proc_find(s, pid, 1);
	free(p->maps);
	p->maps = NULL;
	p->nr = p->alloc = 0;
	p->scanned = 1;
}

void symbolizer_fork(struct symbolizer *s, pid_t child, pid_t parent)
{
	struct proc *pp, *cp;

	if (child == parent)
		return;		/* a new thread shares its process's maps */
	pp = proc_find(s, parent, 0);
	cp = proc_find(s, child, 1);
	free(cp->maps);
	cp->maps = NULL;
	cp->nr = cp->alloc = 0;
	/* a parent we know nothing of: leave the child to /proc */
	cp->scanned = pp && pp->nr;
	if (!cp->scanned)
		return;
	cp->maps = xmalloc(pp->nr * sizeof(*cp->maps));
	memcpy(cp->maps, pp->maps, pp->nr * sizeof(*cp->maps));
	cp->nr = cp->alloc = pp->nr;
}

void symbolizer_exit(struct symbolizer *s, pid_t pid)
{
	unsigned b = (unsigned)pid % NBUCKETS;

	for (struct proc **pp = &s->procs[b]; *pp; pp = &(*pp)->next) {
		if ((*pp)->pid == pid) {
			struct proc *p = *pp;

			*pp = p->next;
			proc_free(p);
			s->nprocs--;
			return;
		}
	}
}

static int hex_field(const char **pp, const char *end, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	int n = 0;

	for (; p < end && isxdigit((unsigned char)*p); p++, n++) {
		if (n == 16)
			return -1;
		v = v << 4 | (uint64_t)(isdigit((unsigned char)*p) ? *p - '0'
					: (*p | 0x20) - 'a' + 10);
	}
	*pp = p;
	*out = v;
	return n ? 0 : -1;
}

/* Skip one field of non-blanks and the blanks after it. */
static int skip_field(const char **pp, const char *end)
{
	const char *p = *pp;

	if (p == end || *p == ' ')
		return -1;
	while (p < end && *p != ' ')
		p++;
	while (p < end && *p == ' ')
		p++;
	*pp = p;
	return 0;
}

/* "start-end perms offset dev inode   path" */
static int maps_line_parse(struct maps_line *m, const char *p, const char *end)
{
	if (hex_field(&p, end, &m->start) || p == end || *p++ != '-' ||
	    hex_field(&p, end, &m->end) || p == end || *p++ != ' ' || m->end < m->start)
		return -1;
	if (end - p < 5 || p[4] != ' ')
		return -1;
	m->exec = p[2] == 'x';
	p += 5;
	if (hex_field(&p, end, &m->pgoff) || p == end || *p++ != ' ' ||
	    skip_field(&p, end) || p == end)
		return -1;
	if (!isdigit((unsigned char)*p) || skip_field(&p, end))
		return -1;
	m->path = p;
	m->path_len = (int)(end - p);
	return 0;
}

int proc_maps_parse(const char *text, const char *origin, maps_fn fn, void *data)
{
	unsigned long lineno = 0;

	for (const char *p = text; *p; ) {
		const char *eol = strchrnul(p, '\n');
		struct maps_line m;
		int ret;

		lineno++;
		if (eol > p) {
			if (maps_line_parse(&m, p, eol))
				return error("'%s' line %lu: expected 'START-END PERMS "
					     "OFFSET DEV INODE [PATH]'", origin, lineno);
			if ((ret = fn(&m, data)))
				return ret;
		}
		p = *eol ? eol + 1 : eol;
	}
	return 0;
}

struct scan_ctx {
	struct symbolizer *s;
	pid_t pid;
};

static int scan_line(const struct maps_line *m, void *data)
{
	struct scan_ctx *c = data;
	char *path;

	if (!m->exec)
		return 0;
	path = xstrndup(m->path, (size_t)m->path_len);
	symbolizer_mmap(c->s, c->pid, m->start, m->end - m->start, m->pgoff, path);
	free(path);
	return 0;
}

/* Read one process's maps; quiet when it is gone (it may just have exited). */
static int scan_one(struct symbolizer *s, pid_t pid)
{
	char path[64];
	char *text;
	struct scan_ctx c = { s, pid };
	struct proc *p = proc_find(s, pid, 1);
	int ret;

	p->scanned = 1;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	text = read_file(path, MAPS_MAX, NULL);
	if (!text)
		return -1;
	ret = proc_maps_parse(text, path, scan_line, &c);
	free(text);
	return ret;
}

int symbolizer_scan_proc(struct symbolizer *s, pid_t pid)
{
	DIR *d;
	struct dirent *e;
	int n = 0;

	if (pid >= 0)
		return scan_one(s, pid) ? 0 : 1;
	d = opendir("/proc");
	if (!d)
		return error_errno("cannot read '/proc'");
	while ((e = readdir(d))) {
		char *end;
		long v = strtol(e->d_name, &end, 10);

		if (*end || v <= 0 || end == e->d_name)
			continue;
		n += !scan_one(s, (pid_t)v);
	}
	closedir(d);
	return n;
}

void symbolizer_kernel(struct symbolizer *s, uint64_t ip, struct sym_hit *out)
{
	const struct sym *k = symtab_lookup(&s->kernel, ip);

	out->func = k ? k->name : unknown;
	out->module = k && k->module ? k->module : "kernel";
}

/*
 * The vdso is not a file: every process maps the same image, so read
 * our own copy from memory.
 */
static int read_vdso(struct elf_syms *out)
{
	char *maps = read_file("/proc/self/maps", MAPS_MAX, NULL);
	const char *line;
	uint64_t start, end;
	int ret = -1;

	if (!maps)
		return -1;
	line = strstr(maps, "[vdso]");
	while (line && line > maps && line[-1] != '\n')
		line--;
	if (line && sscanf(line, "%" SCNx64 "-%" SCNx64, &start, &end) == 2 && end > start)
		ret = elf_syms_read_mem(out, (const void *)(uintptr_t)start,
					(size_t)(end - start), "[vdso]");
	free(maps);
	return ret;
}

static void dso_load(struct dso *d, pid_t pid)
{
	char alt[4096];

	d->state = -1;
	if (!strcmp(d->path, "[vdso]")) {
		if (!read_vdso(&d->elf))
			d->state = 1;
		return;
	}
	/* a process in another mount namespace sees its files under root/ */
	if (access(d->path, R_OK)) {
		snprintf(alt, sizeof(alt), "/proc/%d/root%s", (int)pid, d->path);
		if (!access(alt, R_OK) && !elf_syms_read_file(&d->elf, alt))
			d->state = 1;
		return;
	}
	if (!elf_syms_read_file(&d->elf, d->path))
		d->state = 1;
}

static const struct map *maps_lookup(const struct proc *p, uint64_t ip)
{
	size_t lo = 0, hi = p->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->maps[mid].start <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && ip < p->maps[lo - 1].end)
		return &p->maps[lo - 1];
	return NULL;
}

/*
 * The mapping holding ip in process pid. A process we never heard of
 * has its /proc maps read now; a mapping we did not hear of (made on a
 * CPU not watched, or announced in a lost record) gets one more look in
 * /proc while the process lives.
 */
static const struct map *find_map(struct symbolizer *s, pid_t pid, uint64_t ip)
{
	struct proc *p = proc_find(s, pid, 0);
	const struct map *m;

	if (!p || (!p->nr && !p->scanned)) {
		scan_one(s, pid);
		p = proc_find(s, pid, 1);
	}
	m = maps_lookup(p, ip);
	if (!m && !p->rescanned) {
		p->rescanned = 1;
		scan_one(s, pid);
		m = maps_lookup(p, ip);
	}
	return m;
}

void symbolizer_user(struct symbolizer *s, pid_t pid, uint64_t ip, struct sym_hit *out)
{
	const struct map *m = find_map(s, pid, ip);
	const struct sym *sym;
	uint64_t vaddr;

	out->func = out->module = unknown;
	if (!m)
		return;
	if (!m->dso) {
		out->module = "[anon]";
		return;
	}
	out->module = m->dso->base;
	if (!m->dso->state)
		dso_load(m->dso, pid);
	if (m->dso->state < 0)
		return;
	vaddr = elf_file_vaddr(&m->dso->elf, ip - m->start + m->pgoff);
	sym = vaddr == UINT64_MAX ? NULL : symtab_lookup(&m->dso->elf.tab, vaddr);
	if (sym)
		out->func = sym->name;
}


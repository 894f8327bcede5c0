/*
 * Symbol tables: sorted ranges with one name per address, filled from
 * /proc/kallsyms or from an ELF file through libelf, and for a stripped
 * file from its separate debug file, found by elfutils' libdwfl.
 */
#include "collectors/symbols.h"
#include "common/util.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define POOL_BLOCK 65536	/* bytes per name block */
#define KALLSYMS_MAX (256u << 20)	/* bytes; a real one is ~10 MB */

void symtab_init(struct symtab *t)
{
	memset(t, 0, sizeof(*t));
}

void symtab_release(struct symtab *t)
{
	for (size_t i = 0; i < t->npool; i++)
		free(t->pool[i]);
	free(t->pool);
	free(t->syms);
	symtab_init(t);
}

/*
 * Names live in large blocks: a kernel has 120,000 of them and one
 * allocation each would cost more than the parse. A name longer than a
 * block gets a block of its own, which is then full.
 */
static char *pool_copy(struct symtab *t, const char *s, size_t len)
{
	char *dst;

	if (!t->npool || t->pool_used + len + 1 > POOL_BLOCK) {
		size_t sz = len + 1 > POOL_BLOCK ? len + 1 : POOL_BLOCK;

		ALLOC_GROW(t->pool, t->npool + 1, t->pool_alloc);
		t->pool[t->npool++] = xmalloc(sz);
		t->pool_used = 0;
	}
	dst = t->pool[t->npool - 1] + t->pool_used;
	memcpy(dst, s, len);
	dst[len] = '\0';
	t->pool_used += len + 1;
	return dst;
}

void symtab_add(struct symtab *t, uint64_t addr, uint64_t size, const char *name,
		size_t name_len, const char *module, enum sym_bind bind)
{
	struct sym *s;
	const char *mod = NULL;

	/* modules come in runs: reuse the previous symbol's copy */
	if (module && t->nr && t->syms[t->nr - 1].module &&
	    !strcmp(t->syms[t->nr - 1].module, module))
		mod = t->syms[t->nr - 1].module;
	else if (module)
		mod = pool_copy(t, module, strlen(module));
	ALLOC_GROW(t->syms, t->nr + 1, t->alloc);
	s = &t->syms[t->nr++];
	s->addr = addr;
	s->size = size;
	s->name = pool_copy(t, name, name_len);
	s->module = mod;
	s->bind = (unsigned char)bind;
}

static size_t leading_underscores(const char *s)
{
	size_t n = 0;

	while (s[n] == '_')
		n++;
	return n;
}

/* Is a a better name than b for the same address? */
static int sym_better(const struct sym *a, const struct sym *b)
{
	size_t ua, ub, la, lb;

	if (!a->size != !b->size)
		return a->size != 0;
	if (a->bind != b->bind)
		return a->bind > b->bind;
	ua = leading_underscores(a->name);
	ub = leading_underscores(b->name);
	if (ua != ub)
		return ua < ub;
	la = strlen(a->name);
	lb = strlen(b->name);
	if (la != lb)
		return la < lb;
	return strcmp(a->name, b->name) < 0;
}

static int sym_cmp(const void *pa, const void *pb)
{
	const struct sym *a = pa, *b = pb;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	/* the best alias first, so dedup keeps it */
	if (sym_better(a, b))
		return -1;
	return sym_better(b, a);
}

void symtab_finish(struct symtab *t)
{
	size_t n = 0;

	if (!t->nr)
		return;
	qsort(t->syms, t->nr, sizeof(*t->syms), sym_cmp);
	for (size_t i = 0; i < t->nr; i++) {
		if (n && t->syms[n - 1].addr == t->syms[i].addr) {
			/* an alias of a sized symbol may know a larger size */
			if (t->syms[i].size > t->syms[n - 1].size && t->syms[n - 1].size)
				t->syms[n - 1].size = t->syms[i].size;
			continue;
		}
		t->syms[n++] = t->syms[i];
	}
	t->nr = n;
}

/* Does the symbol at index i cover addr? */
static int sym_covers(const struct symtab *t, size_t i, uint64_t addr)
{
	const struct sym *s = &t->syms[i];
	uint64_t end;

	if (s->size)
		return addr - s->addr < s->size;
	end = i + 1 < t->nr ? t->syms[i + 1].addr : t->end;
	return addr < end;
}

const struct sym *symtab_lookup(const struct symtab *t, uint64_t addr)
{
	size_t lo = 0, hi = t->nr;

	/* find the last symbol starting at or before addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	if (sym_covers(t, lo - 1, addr))
		return &t->syms[lo - 1];
	/*
	 * A few sized symbols nest (a function and a local label inside
	 * it with a size of its own): look back a little for one that
	 * still covers addr.
	 */
	for (size_t i = lo - 1, k = 0; i-- > 0 && k < 4; k++)
		if (t->syms[i].size && addr - t->syms[i].addr < t->syms[i].size)
			return &t->syms[i];
	return NULL;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parse up to 16 hex digits; returns the byte after them, or NULL. */
static const char *parse_hex64(const char *p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0;

	for (; p < end && hexval((unsigned char)*p) >= 0; p++, n++) {
		if (n == 16)
			return NULL;
		v = v << 4 | (uint64_t)hexval((unsigned char)*p);
	}
	if (!n)
		return NULL;
	*out = v;
	return p;
}

struct ksym_line {
	uint64_t addr;
	char type;
	const char *name;
	size_t name_len;
	char module[66];	/* "[ext4]", brackets kept; "" for the core kernel */
};

/* "ffffffff81000000 T _text" or "... t foo\t[ext4]"; 0 or -1. */
static int ksym_line_parse(struct ksym_line *k, const char *p, const char *end)
{
	const char *m;

	p = parse_hex64(p, end, &k->addr);
	if (!p || end - p < 3 || p[0] != ' ' || p[2] != ' ')
		return -1;
	k->type = p[1];
	k->name = p += 3;
	while (p < end && *p != '\t' && *p != ' ')
		p++;
	k->name_len = (size_t)(p - k->name);
	k->module[0] = '\0';
	if (!k->name_len)
		return -1;
	if (p == end)
		return 0;
	if (end - p < 4 || p[0] != '\t' || p[1] != '[' || end[-1] != ']')
		return -1;
	m = p + 1;
	if ((size_t)(end - m) >= sizeof(k->module))
		return -1;
	memcpy(k->module, m, (size_t)(end - m));
	k->module[end - m] = '\0';
	return 0;
}

static int ksym_is_text(char type)
{
	return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

static enum sym_bind ksym_bind(char type)
{
	if (type == 'T')
		return SYM_GLOBAL;
	return type == 't' ? SYM_LOCAL : SYM_WEAK;
}

int kallsyms_parse(struct symtab *out, const char *text, const char *origin)
{
	const char *p = text;
	unsigned long lineno = 0;
	int nonzero = 0;

	symtab_init(out);
	while (*p) {
		const char *eol = strchrnul(p, '\n');
		struct ksym_line k;

		lineno++;
		if (eol > p && ksym_line_parse(&k, p, eol)) {
			symtab_release(out);
			return error("'%s' line %lu: expected 'ADDRESS TYPE NAME [MODULE]'",
				     origin, lineno);
		}
		if (eol > p && ksym_is_text(k.type)) {
			nonzero |= k.addr != 0;
			symtab_add(out, k.addr, 0, k.name, k.name_len,
				   k.module[0] ? k.module : NULL, ksym_bind(k.type));
		}
		p = *eol ? eol + 1 : eol;
	}
	if (!nonzero) {
		symtab_release(out);
		return PERFLAB_ENOTFOUND;
	}
	symtab_finish(out);
	/* the last text symbol has no successor: give it a page */
	out->end = out->syms[out->nr - 1].addr + 4096;
	return 0;
}

int kallsyms_load(struct symtab *out, const char *path)
{
	size_t len;
	char *text = read_file(path, KALLSYMS_MAX, &len);
	int ret;

	symtab_init(out);
	if (!text)
		return error_errno("cannot read '%s'", path);
	if (strlen(text) != len) {
		free(text);
		return error("'%s' is not text", path);
	}
	ret = kallsyms_parse(out, text, path);
	free(text);
	return ret;
}

/* ELF files, through libelf. */

static int elf_ready(void)
{
	static int state;	/* 0 unknown, 1 ready, -1 broken */

	if (!state)
		state = elf_version(EV_CURRENT) == EV_NONE ? -1 : 1;
	if (state < 0)
		return error("libelf is out of date: %s", elf_errmsg(-1));
	return 0;
}

static void read_segments(struct elf_syms *e, Elf *elf)
{
	size_t n = 0;

	if (elf_getphdrnum(elf, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		e->segs = xrealloc(e->segs, (e->nsegs + 1) * sizeof(*e->segs));
		e->segs[e->nsegs].offset = ph.p_offset;
		e->segs[e->nsegs].vaddr = ph.p_vaddr;
		e->segs[e->nsegs].filesz = ph.p_filesz;
		e->nsegs++;
	}
}

static enum sym_bind elf_bind(unsigned char info)
{
	switch (GELF_ST_BIND(info)) {
	case STB_GLOBAL:
		return SYM_GLOBAL;
	case STB_WEAK:
	case STB_GNU_UNIQUE:
		return SYM_WEAK;
	default:
		return SYM_LOCAL;
	}
}

/*
 * A symbol without a size (_init, hand-written assembly) ends with its
 * section at the latest: .init must not swallow the .plt after it.
 * Returns 0 (up to the next symbol) when the section is not known.
 */
static uint64_t section_rest(Elf *elf, const GElf_Sym *s)
{
	Elf_Scn *scn;
	GElf_Shdr sh;

	if (s->st_shndx >= SHN_LORESERVE)
		return 0;
	scn = elf_getscn(elf, s->st_shndx);
	if (!scn || !gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC))
		return 0;
	if (s->st_value < sh.sh_addr || s->st_value - sh.sh_addr >= sh.sh_size)
		return 0;
	return sh.sh_addr + sh.sh_size - s->st_value;
}

/* Add the function symbols of one symbol section; returns how many. */
static size_t read_symbols(struct symtab *t, Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t entsize = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT), n, added = 0;

	if (!data || !entsize)
		return 0;
	n = data->d_size / entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym s;
		const char *name;
		int type;

		if (!gelf_getsym(data, (int)i, &s))
			break;
		type = GELF_ST_TYPE(s.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF ||
		    !s.st_value)
			continue;
		name = elf_strptr(elf, sh->sh_link, s.st_name);
		if (!name || !*name)
			continue;
		symtab_add(t, s.st_value, s.st_size ? s.st_size : section_rest(elf, &s),
			   name, strlen(name), NULL, elf_bind(s.st_info));
		added++;
	}
	return added;
}

/* Find the first section of a type; NULL if none. */
static Elf_Scn *find_section(Elf *elf, uint32_t type, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, sh) && sh->sh_type == type)
			return scn;
	return NULL;
}

/* .symtab when it has functions, else .dynsym (a stripped binary). */
static void read_best_symbols(struct elf_syms *e, Elf *elf)
{
	GElf_Shdr sh;
	Elf_Scn *scn = find_section(elf, SHT_SYMTAB, &sh);

	e->source = "none";
	if (scn && read_symbols(&e->tab, elf, scn, &sh)) {
		e->source = "symtab";
		return;
	}
	scn = find_section(elf, SHT_DYNSYM, &sh);
	if (scn && read_symbols(&e->tab, elf, scn, &sh))
		e->source = "dynsym";
}

/*
 * Where separate debug files are looked for: libdwfl's path syntax
 * (":.debug:/usr/lib/debug": the file's own directory, its .debug/,
 * then /usr/lib/debug by build-id and by path). NULL: that default.
 */
static char *debuginfo_path;

void elf_syms_debuginfo_path(const char *path)
{
	free(debuginfo_path);
	debuginfo_path = path ? xstrdup(path) : NULL;
}

/* libdwfl's callbacks: the main file is given; debug files by build-id, then debuglink. */
static const Dwfl_Callbacks dwfl_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

/*
 * The functions of path's separate debug file (a -dbgsym or -debuginfo
 * package's, or one made with objcopy --only-keep-debug), found by
 * libdwfl from the build-id note (/usr/lib/debug/.build-id/xx/rest.debug)
 * or the .gnu_debuglink section. Symbols keep their link-time values:
 * the debug file shares the stripped file's address space. Returns how
 * many were added, 0 when there is no debug file.
 */
static size_t read_debuginfo(struct symtab *t, const char *path, char **debug_file)
{
	Dwfl *dwfl = dwfl_begin(&dwfl_callbacks);
	Dwfl_Module *mod;
	const char *dbg = NULL;
	size_t added = 0;
	int n;

	if (!dwfl)
		return 0;
	dwfl_report_begin(dwfl);
	mod = dwfl_report_offline(dwfl, path, path, -1);
	dwfl_report_end(dwfl, NULL, NULL);
	n = mod ? dwfl_module_getsymtab(mod) : -1;
	if (mod)
		dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, &dbg);
	for (int i = 1; dbg && i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		Elf *from = NULL;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, &from, NULL);
		int type = GELF_ST_TYPE(sym.st_info);

		if (!name || !*name || (type != STT_FUNC && type != STT_GNU_IFUNC) ||
		    sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		symtab_add(t, sym.st_value, sym.st_size, name, strlen(name), NULL,
			   elf_bind(sym.st_info));
		added++;
	}
	if (added)
		*debug_file = xstrdup(dbg);
	dwfl_end(dwfl);
	return added;
}

static uint64_t segments_end(const struct elf_syms *e)
{
	uint64_t end = 0;

	for (size_t i = 0; i < e->nsegs; i++)
		if (e->segs[i].vaddr + e->segs[i].filesz > end)
			end = e->segs[i].vaddr + e->segs[i].filesz;
	return end;
}

static int read_elf(struct elf_syms *out, Elf *elf, const char *origin)
{
	GElf_Ehdr eh;

	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		int ret = error("'%s' is not an ELF file: %s", origin, elf_errmsg(-1));

		elf_end(elf);
		return ret;
	}
	out->is_dyn = eh.e_type == ET_DYN;
	read_segments(out, elf);
	read_best_symbols(out, elf);
	elf_end(elf);
	symtab_finish(&out->tab);
	out->tab.end = segments_end(out);
	return 0;
}

int elf_syms_read_mem(struct elf_syms *out, const void *image, size_t len,
		      const char *origin)
{
	memset(out, 0, sizeof(*out));
	symtab_init(&out->tab);
	out->source = "none";
	if (elf_ready())
		return -1;
	/* libelf reads the image in place and does not write to it */
	return read_elf(out, elf_memory((char *)(uintptr_t)image, len), origin);
}

/* A stripped file: the functions of its debug file replace its .dynsym's. */
static void try_debuginfo(struct elf_syms *e, const char *path)
{
	struct symtab t;

	symtab_init(&t);
	if (!read_debuginfo(&t, path, &e->debug_file)) {
		symtab_release(&t);
		return;
	}
	symtab_finish(&t);
	t.end = e->tab.end;
	symtab_release(&e->tab);
	e->tab = t;
	e->source = "debuginfo";
}

int elf_syms_read_file(struct elf_syms *out, const char *path)
{
	int fd, ret;

	memset(out, 0, sizeof(*out));
	symtab_init(&out->tab);
	out->source = "none";
	if (elf_ready())
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_errno("cannot open '%s'", path);
	ret = read_elf(out, elf_begin(fd, ELF_C_READ, NULL), path);
	close(fd);
	if (!ret && strcmp(out->source, "symtab"))
		try_debuginfo(out, path);
	return ret;
}

void elf_syms_release(struct elf_syms *e)
{
	symtab_release(&e->tab);
	free(e->debug_file);
	e->debug_file = NULL;
	free(e->segs);
	e->segs = NULL;
	e->nsegs = 0;
}

uint64_t elf_file_vaddr(const struct elf_syms *e, uint64_t offset)
{
	for (size_t i = 0; i < e->nsegs; i++) {
		const struct elf_seg *s = &e->segs[i];

		if (offset >= s->offset && offset - s->offset < s->filesz)
			return offset - s->offset + s->vaddr;
	}
	return UINT64_MAX;
}

#include "tests/unit/test.h"
#include "collectors/sampler.h"
#include "collectors/symbolize.h"
#include "collectors/symbols.h"
#include "common/json.h"
#include "common/spawn.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "reports/top.h"

#include <gnu/libc-version.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <unistd.h>

/* Symbol tables */

static const char *name_at(const struct symtab *t, uint64_t addr)
{
	const struct sym *s = symtab_lookup(t, addr);

	return s ? s->name : "(none)";
}

TEST(symtab, sorted_ranges_and_gaps)
{
	struct symtab t;

	symtab_init(&t);
	symtab_add(&t, 0x3000, 0x100, "c", 1, NULL, SYM_GLOBAL);
	symtab_add(&t, 0x1000, 0x10, "a", 1, NULL, SYM_GLOBAL);
	symtab_add(&t, 0x2000, 0x800, "b", 1, NULL, SYM_LOCAL);
	symtab_finish(&t);
	CHECK_INT(t.nr, 3);
	CHECK_STR(name_at(&t, 0x0fff), "(none)");
	CHECK_STR(name_at(&t, 0x1000), "a");
	CHECK_STR(name_at(&t, 0x100f), "a");
	CHECK_STR(name_at(&t, 0x1010), "(none)");	/* past a's size, before b */
	CHECK_STR(name_at(&t, 0x27ff), "b");
	CHECK_STR(name_at(&t, 0x2800), "(none)");
	CHECK_STR(name_at(&t, 0x30ff), "c");
	CHECK_STR(name_at(&t, 0x3100), "(none)");
	CHECK_STR(name_at(&t, UINT64_MAX), "(none)");
	symtab_release(&t);
}

TEST(symtab, zero_sizes_reach_the_next_symbol)
{
	struct symtab t;

	symtab_init(&t);
	symtab_add(&t, 0x100, 0, "z1", 2, NULL, SYM_GLOBAL);
	symtab_add(&t, 0x200, 0, "z2", 2, NULL, SYM_GLOBAL);
	symtab_finish(&t);
	CHECK_STR(name_at(&t, 0x1ff), "z1");
	/* the last one covers nothing without an end ... */
	CHECK_STR(name_at(&t, 0x200), "(none)");
	/* ... and up to the end when there is one */
	t.end = 0x300;
	CHECK_STR(name_at(&t, 0x200), "z2");
	CHECK_STR(name_at(&t, 0x2ff), "z2");
	CHECK_STR(name_at(&t, 0x300), "(none)");
	symtab_release(&t);
}

TEST(symtab, aliases_keep_the_best_name)
{
	struct symtab t;

	symtab_init(&t);
	symtab_add(&t, 0x100, 0x40, "__foo_impl", 10, NULL, SYM_GLOBAL);
	symtab_add(&t, 0x100, 0x40, "foo_local", 9, NULL, SYM_LOCAL);
	symtab_add(&t, 0x100, 0x40, "foo", 3, NULL, SYM_GLOBAL);
	symtab_add(&t, 0x100, 0x40, "foo_weak", 8, NULL, SYM_WEAK);
	symtab_add(&t, 0x200, 0, "bar_nosize", 10, NULL, SYM_GLOBAL);
	symtab_add(&t, 0x200, 0x10, "bar_sized", 9, NULL, SYM_LOCAL);
	symtab_finish(&t);
	CHECK_INT(t.nr, 2);
	CHECK_STR(name_at(&t, 0x120), "foo");
	/* a size beats a better binding: the sized alias bounds the range */
	CHECK_STR(name_at(&t, 0x20f), "bar_sized");
	CHECK_STR(name_at(&t, 0x210), "(none)");
	symtab_release(&t);
}

TEST(symtab, nested_sized_symbols)
{
	struct symtab t;

	symtab_init(&t);
	symtab_add(&t, 0x1000, 0x1000, "outer", 5, NULL, SYM_GLOBAL);
	symtab_add(&t, 0x1100, 0x10, "inner", 5, NULL, SYM_LOCAL);
	symtab_finish(&t);
	CHECK_STR(name_at(&t, 0x1105), "inner");
	CHECK_STR(name_at(&t, 0x1200), "outer");
	symtab_release(&t);
}

TEST(symtab, long_names_and_many_symbols)
{
	struct symtab t;
	char *big = xmalloc(200000);
	char name[32];

	memset(big, 'x', 199999);
	big[199999] = '\0';
	symtab_init(&t);
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(name, sizeof(name), "f%d", i);

		symtab_add(&t, 0x10000 + (uint64_t)i * 16, 16, name, (size_t)n, NULL, SYM_GLOBAL);
	}
	symtab_add(&t, 0x100, 8, big, strlen(big), NULL, SYM_GLOBAL);
	symtab_finish(&t);
	CHECK_STR(name_at(&t, 0x10000 + 4321 * 16 + 3), "f4321");
	CHECK_INT(strlen(name_at(&t, 0x104)), 199999);
	symtab_release(&t);
	free(big);
}

/* kallsyms */

static const char kallsyms_text[] =
	"ffffffff81000000 T _text\n"
	"ffffffff81000000 T startup_64\n"
	"ffffffff81000100 t helper\n"
	"ffffffff81000200 D some_data\n"
	"ffffffff81000300 W weak_fn\n"
	"ffffffff81000400 T _etext\n"
	"ffffffffc0001000 t ext4_fn\t[ext4]\n"
	"ffffffffc0001080 T ext4_other\t[ext4]\n";

TEST(kallsyms, text_symbols_and_modules)
{
	struct symtab t;
	const struct sym *s;

	REQUIRE(!kallsyms_parse(&t, kallsyms_text, "kallsyms"));
	CHECK_INT(t.nr, 6);	/* the data symbol is left out, _text is an alias */
	CHECK_STR(name_at(&t, 0xffffffff81000010), "startup_64");
	CHECK_STR(name_at(&t, 0xffffffff81000250), "helper");	/* data does not cut */
	CHECK_STR(name_at(&t, 0xffffffff81000300), "weak_fn");
	s = symtab_lookup(&t, 0xffffffffc0001010);
	REQUIRE(s);
	CHECK_STR(s->name, "ext4_fn");
	CHECK_STR(s->module, "[ext4]");
	CHECK(!symtab_lookup(&t, 0xffffffff81000100)->module);
	/* the last text symbol gets a page, no more */
	CHECK_STR(name_at(&t, 0xffffffffc0001080 + 4095), "ext4_other");
	CHECK_STR(name_at(&t, 0xffffffffc0001080 + 4096), "(none)");
	symtab_release(&t);
}

TEST(kallsyms, hidden_addresses)
{
	struct symtab t;

	CHECK_INT(kallsyms_parse(&t, "0000000000000000 T _text\n"
				 "0000000000000000 t foo\n", "k"), PERFLAB_ENOTFOUND);
	CHECK_INT(t.nr, 0);
	CHECK_INT(kallsyms_parse(&t, "", "k"), PERFLAB_ENOTFOUND);
}

TEST(kallsyms, broken_input)
{
	static const char *const bad[] = {
		"ffffffff81000000 T\n",			/* truncated: no name */
		"ffffffff81000000\n",
		"ffffffff81000000 T foo\n zzzz T bar\n",	/* second line */
		"fffffffff81000000 T toolong\n",	/* 17 hex digits */
		"ffffffff81000000 T foo\t[unterminated\n",
		"ffffffff81000000 T foo\t[]\n",
		"\x01\x02\x03\xff\xfe\n",
		"ffffffff81000000 TT foo\n",
	};
	struct symtab t;

	test_capture_start();
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK_INT(kallsyms_parse(&t, bad[i], "kallsyms"), -1);
	CHECK_CONTAINS(test_captured(), "'kallsyms' line 2");
	test_capture_end();
	/* no trailing newline is fine */
	REQUIRE(!kallsyms_parse(&t, "ffffffff81000000 T foo", "k"));
	CHECK_STR(name_at(&t, 0xffffffff81000001), "foo");
	symtab_release(&t);
}

TEST(kallsyms, this_kernel)
{
	struct symtab t;
	const struct sym *s;
	int ret = kallsyms_load(&t, "/proc/kallsyms");

	if (ret == PERFLAB_ENOTFOUND) {
		test_skip("kernel addresses are hidden");
		return;
	}
	REQUIRE(!ret);
	CHECK(t.nr > 1000);
	for (size_t i = 0; i < t.nr; i++) {
		if (!strcmp(t.syms[i].name, "vfs_read")) {
			s = symtab_lookup(&t, t.syms[i].addr + 1);
			CHECK_STR(s ? s->name : "(none)", "vfs_read");
		}
	}
	symtab_release(&t);
}

/* ELF files built for the test */

static const char test_prog[] =
	"#include <stdio.h>\n"
	"static int __attribute__((noinline)) local_fn(int x) { return x * 3 + 1; }\n"
	"int __attribute__((noinline)) perflab_unit_fn(int x) { return local_fn(x) ^ 7; }\n"
	"int main(int argc, char **argv) { printf(\"%d\\n\", perflab_unit_fn(argc)); return 0; }\n";

static const char nosym_prog[] =
	"void _start(void) { for (;;) __asm__ volatile(\"\"); }\n";

/* Run a command quietly; 0 when it exits 0. */
static int run(const char *a0, const char *a1, const char *a2, const char *a3,
	       const char *a4, const char *a5, const char *a6, const char *a7)
{
	char *argv[] = { (char *)a0, (char *)a1, (char *)a2, (char *)a3, (char *)a4,
			 (char *)a5, (char *)a6, (char *)a7, NULL };

	return run_capture(argv, 60, NULL);
}

/* Build a binary from source in the scratch directory; its path (owned). */
static char *build(const char *name, const char *src, const char *flag1, const char *flag2)
{
	char *file = xasprintf("%s.c", name);
	char *c = xstrdup(test_write(file, src)), *out;

	free(file);
	out = xasprintf("%s/%s", test_tmpdir(), name);
	if (run("cc", "-O1", flag1, flag2, "-o", out, c, NULL)) {
		free(out);
		out = NULL;
	}
	free(c);
	return out;
}

static const struct sym *find_sym(const struct elf_syms *e, const char *name)
{
	for (size_t i = 0; i < e->tab.nr; i++)
		if (!strcmp(e->tab.syms[i].name, name))
			return &e->tab.syms[i];
	return NULL;
}

TEST(elfsyms, symtab_and_load_segments)
{
	char *bin = build("full", test_prog, "-rdynamic", "-fPIE");
	struct elf_syms e;
	const struct sym *f;

	REQUIRE(bin);
	REQUIRE(!elf_syms_read_file(&e, bin));
	CHECK_STR(e.source, "symtab");
	CHECK(e.is_dyn);
	CHECK(e.nsegs >= 2);
	f = find_sym(&e, "perflab_unit_fn");
	REQUIRE(f);
	CHECK(f->size > 0);
	CHECK(find_sym(&e, "local_fn") != NULL);
	CHECK_STR(name_at(&e.tab, f->addr + f->size - 1), "perflab_unit_fn");
	elf_syms_release(&e);
	free(bin);
}

TEST(elfsyms, stripped_binary_falls_back_to_dynsym)
{
	char *bin = build("stripped", test_prog, "-rdynamic", "-fPIE");
	struct elf_syms e;
	const struct sym *f;

	REQUIRE(bin);
	REQUIRE(!run("strip", "-s", bin, NULL, NULL, NULL, NULL, NULL));
	REQUIRE(!elf_syms_read_file(&e, bin));
	CHECK_STR(e.source, "dynsym");
	f = find_sym(&e, "perflab_unit_fn");
	REQUIRE(f);
	CHECK_STR(name_at(&e.tab, f->addr), "perflab_unit_fn");
	CHECK(!find_sym(&e, "local_fn"));	/* static: gone with .symtab */
	elf_syms_release(&e);
	free(bin);
}

TEST(elfsyms, no_symbols_at_all)
{
	char *bin = build("nosym", nosym_prog, "-nostdlib", "-static");
	struct elf_syms e;

	REQUIRE(bin);
	REQUIRE(!run("strip", "-s", bin, NULL, NULL, NULL, NULL, NULL));
	REQUIRE(!elf_syms_read_file(&e, bin));
	CHECK_STR(e.source, "none");
	CHECK_INT(e.tab.nr, 0);
	CHECK(!e.is_dyn);
	CHECK(e.nsegs >= 1);
	elf_syms_release(&e);
	free(bin);
}

TEST(elfsyms, not_elf)
{
	struct elf_syms e;
	static const char junk[] = "\x7f" "ELF\x02\x01\x01 not really an ELF file at all";

	test_capture_start();
	CHECK_INT(elf_syms_read_mem(&e, junk, sizeof(junk), "junk"), -1);
	CHECK_INT(elf_syms_read_mem(&e, "", 0, "empty"), -1);
	CHECK_INT(elf_syms_read_file(&e, "/nonexistent/x"), -1);
	CHECK_CONTAINS(test_captured(), "'junk' is not an ELF file");
	test_capture_end();
	elf_syms_release(&e);
}

/* pid_max is never a pid: a process that has gone */
static pid_t dead_pid(void)
{
	char *t = read_file("/proc/sys/kernel/pid_max", 64, NULL);
	pid_t p = t ? (pid_t)atol(t) : 4194304;

	free(t);
	return p;
}

/* Map the executable segment of bin at base in process pid, as MMAP2 would. */
static uint64_t map_text(struct symbolizer *s, pid_t pid, const char *bin, uint64_t base,
			 const struct elf_syms *e, const struct sym *f)
{
	for (size_t i = 0; i < e->nsegs; i++) {
		const struct elf_seg *g = &e->segs[i];

		if (f->addr < g->vaddr || f->addr >= g->vaddr + g->filesz)
			continue;
		symbolizer_mmap(s, pid, base + (g->vaddr & ~0xfffULL),
				(g->filesz + 0x2000) & ~0xfffULL, g->offset & ~0xfffULL, bin);
		return base + f->addr;
	}
	return 0;
}

TEST(symbolize, pie_load_bias_and_exited_process)
{
	char *bin = build("pie", test_prog, "-fPIE", "-pie");
	struct symbolizer *s = symbolizer_new(NULL);
	struct elf_syms e;
	const struct sym *f;
	struct sym_hit h;
	pid_t pid = dead_pid();
	uint64_t ip;

	REQUIRE(bin && !elf_syms_read_file(&e, bin));
	f = find_sym(&e, "perflab_unit_fn");
	REQUIRE(f);
	ip = map_text(s, pid, bin, 0x555555554000ULL, &e, f);
	REQUIRE(ip);
	/* the process is gone; what its MMAP2 said is enough */
	symbolizer_user(s, pid, ip + 2, &h);
	CHECK_STR(h.func, "perflab_unit_fn");
	CHECK_STR(h.module, "pie");
	/* an exec drops the old image; a fork copies the maps */
	symbolizer_fork(s, pid - 1, pid);
	symbolizer_comm(s, pid, "new", 1);
	symbolizer_user(s, pid, ip, &h);
	CHECK_STR(h.func, "[unknown]");
	CHECK_STR(h.module, "[unknown]");
	symbolizer_user(s, pid - 1, ip, &h);
	CHECK_STR(h.func, "perflab_unit_fn");
	symbolizer_exit(s, pid - 1);
	symbolizer_user(s, pid - 1, ip, &h);
	CHECK_STR(h.func, "[unknown]");
	elf_syms_release(&e);
	symbolizer_free(s);
	free(bin);
}

TEST(symbolize, fixed_address_executable)
{
	char *bin = build("nopie", test_prog, "-fno-PIE", "-no-pie");
	struct symbolizer *s = symbolizer_new(NULL);
	struct elf_syms e;
	const struct sym *f;
	struct sym_hit h;
	uint64_t ip;

	REQUIRE(bin && !elf_syms_read_file(&e, bin));
	CHECK(!e.is_dyn);
	f = find_sym(&e, "local_fn");
	REQUIRE(f);
	ip = map_text(s, dead_pid(), bin, 0, &e, f);
	REQUIRE(ip == f->addr);
	symbolizer_user(s, dead_pid(), ip, &h);
	CHECK_STR(h.func, "local_fn");
	/* an address in the mapping that no symbol covers */
	symbolizer_user(s, dead_pid(), (ip & ~0xfffULL) + 1, &h);
	CHECK_STR(h.module, "nopie");
	elf_syms_release(&e);
	symbolizer_free(s);
	free(bin);
}

TEST(symbolize, binary_without_symbols_is_unknown_in_its_module)
{
	char *bin = build("bare", nosym_prog, "-nostdlib", "-static");
	struct symbolizer *s = symbolizer_new(NULL);
	struct sym_hit h;

	REQUIRE(bin);
	REQUIRE(!run("strip", "-s", bin, NULL, NULL, NULL, NULL, NULL));
	symbolizer_mmap(s, dead_pid(), 0x401000, 0x1000, 0x1000, bin);
	symbolizer_user(s, dead_pid(), 0x401010, &h);
	CHECK_STR(h.func, "[unknown]");
	CHECK_STR(h.module, "bare");
	symbolizer_mmap(s, dead_pid(), 0x7000000, 0x1000, 0, "//anon");
	symbolizer_user(s, dead_pid(), 0x7000010, &h);
	CHECK_STR(h.module, "[anon]");
	symbolizer_free(s);
	free(bin);
}

static int __attribute__((noinline)) perflab_unit_self(int x)
{
	return x + 1;
}

TEST(symbolize, this_process_from_proc)
{
	struct symbolizer *s = symbolizer_new(NULL);
	struct sym_hit h;

	CHECK_INT(symbolizer_scan_proc(s, getpid()), 1);
	symbolizer_user(s, getpid(), (uint64_t)(uintptr_t)perflab_unit_self, &h);
	CHECK_STR(h.func, "perflab_unit_self");
	CHECK_STR(h.module, "unit-tests");
	symbolizer_user(s, getpid(), (uint64_t)(uintptr_t)gnu_get_libc_version, &h);
	CHECK_STR(h.func, "gnu_get_libc_version");
	CHECK_CONTAINS(h.module, "libc.so");
	CHECK(perflab_unit_self(1) == 2);
	symbolizer_free(s);
}

TEST(symbolize, maps_overlap_and_replace)
{
	struct symbolizer *s = symbolizer_new(NULL);
	struct sym_hit h;
	pid_t p = dead_pid();

	symbolizer_mmap(s, p, 0x10000, 0x10000, 0, "/nonexistent/a.so");
	symbolizer_mmap(s, p, 0x14000, 0x2000, 0, "/nonexistent/b.so");
	symbolizer_user(s, p, 0x13fff, &h);
	CHECK_STR(h.module, "a.so");
	symbolizer_user(s, p, 0x14000, &h);
	CHECK_STR(h.module, "b.so");
	symbolizer_user(s, p, 0x16000, &h);
	CHECK_STR(h.module, "a.so");
	symbolizer_user(s, p, 0x20000, &h);
	CHECK_STR(h.module, "[unknown]");
	symbolizer_free(s);
}

struct maps_seen {
	int n, exec;
	char last[64];
};

static int count_maps(const struct maps_line *m, void *data)
{
	struct maps_seen *c = data;

	c->n++;
	c->exec += m->exec;
	snprintf(c->last, sizeof(c->last), "%.*s", m->path_len, m->path);
	return 0;
}

TEST(maps, parse_and_broken_lines)
{
	struct maps_seen c = { 0 };
	static const char *const bad[] = {
		"55d0c0a00000 r-xp 00002000 08:01 1234 /x\n",
		"55d0c0a00000-55d0c0a21000 r-x 00002000 08:01 1234 /x\n",
		"55d0c0a21000-55d0c0a00000 r-xp 00002000 08:01 1234 /x\n",
		"55d0c0a00000-55d0c0a21000 r-xp zz 08:01 1234 /x\n",
		"55d0c0a00000-55d0c0a21000 r-xp 00002000\n",
		"11111111111111111-2 r-xp 0 0:0 0\n",
		"\xff\xfe\x01\n",
	};

	REQUIRE(!proc_maps_parse(
		"55d0c0a00000-55d0c0a21000 r--p 00000000 08:01 1234    /usr/bin/my prog\n"
		"55d0c0a21000-55d0c0a80000 r-xp 00021000 08:01 1234    /usr/bin/my prog\n"
		"7ffd1b9e0000-7ffd1ba01000 rw-p 00000000 00:00 0                  [stack]\n"
		"7ffd1bbe8000-7ffd1bbea000 r-xp 00000000 00:00 0                  [vdso]",
		"maps", count_maps, &c));
	CHECK_INT(c.n, 4);
	CHECK_INT(c.exec, 2);
	CHECK_STR(c.last, "[vdso]");
	test_capture_start();
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK_INT(proc_maps_parse(bad[i], "maps", count_maps, &c), -1);
	CHECK_CONTAINS(test_captured(), "'maps' line 1");
	test_capture_end();
}

/* Ring-buffer records, built by hand */

static size_t put(unsigned char *b, size_t at, const void *v, size_t n)
{
	memcpy(b + at, v, n);
	return at + n;
}

static size_t put_header(unsigned char *b, uint32_t type, uint16_t misc, uint16_t size)
{
	size_t at = put(b, 0, &type, 4);

	at = put(b, at, &misc, 2);
	return put(b, at, &size, 2);
}

static size_t put_trailer(unsigned char *b, size_t at, uint32_t pid, uint32_t tid,
			  uint64_t time, uint32_t cpu)
{
	uint32_t zero = 0;

	at = put(b, at, &pid, 4);
	at = put(b, at, &tid, 4);
	at = put(b, at, &time, 8);
	at = put(b, at, &cpu, 4);
	return put(b, at, &zero, 4);
}

static size_t make_sample(unsigned char *b, uint64_t ip, uint32_t pid, uint64_t time,
			  uint32_t cpu, uint16_t misc)
{
	uint64_t period = 1000000;
	size_t at = put_header(b, PERF_RECORD_SAMPLE, misc, 48);

	at = put(b, at, &ip, 8);
	at = put_trailer(b, at, pid, pid + 1, time, cpu);	/* same layout */
	return put(b, at, &period, 8);
}

static size_t make_mmap2(unsigned char *b, uint32_t pid, uint64_t addr, uint64_t len,
			 uint64_t pgoff, const char *path)
{
	unsigned char body[24 + 8] = { 0 };	/* maj/min/ino/gen, prot, flags */
	size_t plen = (strlen(path) + 8) & ~7u;
	uint16_t size = (uint16_t)(8 + 32 + sizeof(body) + plen + 24);
	size_t at = put_header(b, PERF_RECORD_MMAP2, PERF_RECORD_MISC_USER, size);

	at = put(b, at, &pid, 4);
	at = put(b, at, &pid, 4);
	at = put(b, at, &addr, 8);
	at = put(b, at, &len, 8);
	at = put(b, at, &pgoff, 8);
	at = put(b, at, body, sizeof(body));
	memset(b + at, 0, plen);
	memcpy(b + at, path, strlen(path));
	return put_trailer(b, at + plen, pid, pid, 5, 1);
}

TEST(perfrec, decode_each_type)
{
	unsigned char b[256];
	struct perf_rec r;
	size_t n;
	uint32_t ids[4] = { 200, 100, 201, 101 };
	uint64_t t = 77, lost[2] = { 9, 1234 };

	n = make_sample(b, 0xffffffff81001234ULL, 42, 1000, 1, PERF_RECORD_MISC_KERNEL);
	REQUIRE(!perf_rec_decode(&r, b, n));
	CHECK_INT(r.type, PERF_RECORD_SAMPLE);
	CHECK(r.ip == 0xffffffff81001234ULL);
	CHECK_INT(r.pid, 42);
	CHECK_INT(r.tid, 43);
	CHECK_INT(r.time, 1000);
	CHECK_INT(r.cpu, 1);
	CHECK_INT(r.period, 1000000);
	CHECK_INT(r.misc & PERF_RECORD_MISC_CPUMODE_MASK, PERF_RECORD_MISC_KERNEL);

	n = make_mmap2(b, 7, 0x400000, 0x2000, 0x1000, "/usr/bin/prog");
	REQUIRE(!perf_rec_decode(&r, b, n));
	CHECK_INT(r.type, PERF_RECORD_MMAP2);
	CHECK_INT(r.pid, 7);
	CHECK_INT(r.addr, 0x400000);
	CHECK_INT(r.len, 0x2000);
	CHECK_INT(r.pgoff, 0x1000);
	CHECK_STR(r.name, "/usr/bin/prog");
	CHECK_INT(r.time, 5);

	/* FORK: the body names the child, the trailer the parent forking */
	n = put_header(b, PERF_RECORD_FORK, 0, 8 + 24 + 24);
	n = put(b, n, ids, 16);
	n = put(b, n, &t, 8);
	n = put_trailer(b, n, 100, 101, 500, 0);
	REQUIRE(!perf_rec_decode(&r, b, n));
	CHECK_INT(r.pid, 200);
	CHECK_INT(r.ppid, 100);
	CHECK_INT(r.tid, 201);
	CHECK_INT(r.time, 500);

	n = put_header(b, PERF_RECORD_COMM, PERF_RECORD_MISC_COMM_EXEC, 8 + 8 + 8 + 24);
	n = put(b, n, ids, 8);
	n = put(b, n, "prog\0\0\0\0", 8);
	n = put_trailer(b, n, 200, 201, 600, 0);
	REQUIRE(!perf_rec_decode(&r, b, n));
	CHECK_STR(r.name, "prog");
	CHECK(r.misc & PERF_RECORD_MISC_COMM_EXEC);

	n = put_header(b, PERF_RECORD_LOST, 0, 8 + 16 + 24);
	n = put(b, n, lost, 16);
	n = put_trailer(b, n, 0, 0, 700, 1);
	REQUIRE(!perf_rec_decode(&r, b, n));
	CHECK_INT(r.lost, 1234);
}

TEST(perfrec, malformed_records)
{
	unsigned char b[256];
	struct perf_rec r;
	size_t n;

	n = make_sample(b, 1, 2, 3, 0, PERF_RECORD_MISC_USER);
	CHECK_INT(perf_rec_decode(&r, b, n - 8), PERFLAB_EINVAL);	/* size != len */
	CHECK_INT(perf_rec_decode(&r, b, 4), PERFLAB_EINVAL);
	put_header(b, PERF_RECORD_SAMPLE, 0, 16);
	CHECK_INT(perf_rec_decode(&r, b, 16), PERFLAB_EINVAL);	/* too short for its type */
	n = make_mmap2(b, 7, 0x400000, 0x2000, 0, "/abcdefg");	/* name fills 8: NUL in next */
	memset(b + n - 24 - 8, 'x', 8);
	CHECK_INT(perf_rec_decode(&r, b, n), PERFLAB_EINVAL);	/* no NUL */
	put_header(b, 99, 0, 8 + 24);	/* unknown type: header and trailer */
	put_trailer(b, 8, 1, 1, 42, 0);
	REQUIRE(!perf_rec_decode(&r, b, 32));
	CHECK_INT(r.type, 99);
	CHECK_INT(r.time, 42);
}

/* Write bytes into a ring at a free-running position, wrapping. */
static void ring_put(unsigned char *data, uint64_t size, uint64_t pos, const void *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		data[(pos + i) & (size - 1)] = ((const unsigned char *)src)[i];
}

TEST(perfrec, ring_wraps_around)
{
	unsigned char data[256], rec[128], scratch[RING_RECORD_MAX];
	struct ring_view v = { data, sizeof(data) };
	struct perf_rec r;
	const void *p;
	uint64_t tail = 3 * 256 + 232, head;	/* 232 + 48 > 256: wraps */
	size_t n = make_sample(rec, 0xdeadbeef, 5, 9, 1, PERF_RECORD_MISC_USER);

	memset(data, 0xaa, sizeof(data));
	ring_put(data, sizeof(data), tail, rec, n);
	head = tail + n;
	n = make_sample(rec, 0xcafe, 6, 10, 0, PERF_RECORD_MISC_USER);
	ring_put(data, sizeof(data), head, rec, n);
	head += n;
	CHECK_INT(ring_next(&v, head, tail, scratch, &p), 48);
	CHECK(p == scratch);
	REQUIRE(!perf_rec_decode(&r, p, 48));
	CHECK(r.ip == 0xdeadbeef);
	CHECK_INT(ring_next(&v, head, tail + 48, scratch, &p), 48);
	CHECK(p == data + ((tail + 48) & 255));	/* in place: no copy */
	REQUIRE(!perf_rec_decode(&r, p, 48));
	CHECK(r.ip == 0xcafe);
	CHECK_INT(ring_next(&v, head, head, scratch, &p), 0);
}

TEST(perfrec, ring_counters_wrap_and_corruption)
{
	unsigned char data[256], rec[64], scratch[RING_RECORD_MAX];
	struct ring_view v = { data, sizeof(data) };
	const void *p;
	uint64_t tail = UINT64_MAX - 15;	/* the counters pass 2^64 */
	size_t n = make_sample(rec, 0x1234, 5, 9, 1, PERF_RECORD_MISC_USER);

	ring_put(data, sizeof(data), tail, rec, n);
	CHECK_INT(ring_next(&v, tail + n, tail, scratch, &p), 48);
	/* a record claiming more than is there, a header cut short, a zero size */
	CHECK_INT(ring_next(&v, tail + 40, tail, scratch, &p), PERFLAB_EINVAL);
	CHECK_INT(ring_next(&v, tail + 4, tail, scratch, &p), PERFLAB_EINVAL);
	memset(rec, 0, 8);
	ring_put(data, sizeof(data), 0, rec, 8);
	CHECK_INT(ring_next(&v, 64, 0, scratch, &p), PERFLAB_EINVAL);
	/* more unread bytes than the ring holds */
	CHECK_INT(ring_next(&v, 1000, 0, scratch, &p), PERFLAB_EINVAL);
}

/* Events and CPU lists */

TEST(sampler, event_names)
{
	struct sampler_event ev;

	REQUIRE(!sampler_event_parse(&ev, "cpu-clock"));
	CHECK_INT(ev.type, PERF_TYPE_SOFTWARE);
	CHECK_INT(ev.config, PERF_COUNT_SW_CPU_CLOCK);
	CHECK_INT(ev.hardware, 0);
	REQUIRE(!sampler_event_parse(&ev, "task-clock"));
	CHECK_INT(ev.config, PERF_COUNT_SW_TASK_CLOCK);
	REQUIRE(!sampler_event_parse(&ev, "instructions"));
	CHECK_INT(ev.type, PERF_TYPE_HARDWARE);
	CHECK_INT(ev.hardware, 1);
	REQUIRE(!sampler_event_parse(&ev, "r1a2"));
	CHECK_INT(ev.type, PERF_TYPE_RAW);
	CHECK_INT(ev.config, 0x1a2);
	/* a named PMU's event in its pmcstat spelling, present or not */
	REQUIRE(!sampler_event_parse(&ev, "snb::UOPS_EXECUTED:THREAD:c=1:i=1"));
	CHECK_INT(ev.type, PERF_TYPE_RAW);
	CHECK_INT(ev.config, 0x18001b1);
	CHECK_INT(ev.hardware, 1);
	test_capture_start();
	CHECK_INT(sampler_event_parse(&ev, "NO_SUCH_EVENT.ANY"), -1);
	CHECK_INT(sampler_event_parse(&ev, "rxyz"), -1);
	CHECK_CONTAINS(test_captured(), "NO_SUCH_EVENT");
	test_capture_end();
}

/* The table */

TEST(top, ranks_and_splits_by_cpu)
{
	static const int cpus[] = { 0, 2 };
	struct top t;
	const struct top_row **v;
	json_t *j;

	top_init(&t, cpus, 2);
	top_add(&t, "b", "kernel", 0, 1);
	top_add(&t, "spin", "prog", 2, 5);
	top_add(&t, "a", "kernel", 2, 1);
	top_add(&t, "spin", "prog", 0, 2);
	top_add(&t, "spin", "libc.so.6", 0, 1);	/* same name, other module */
	top_add(&t, "x", "y", 7, 1);		/* a CPU not sampled */
	v = top_ranked(&t);
	CHECK_INT(t.nr, 5);
	CHECK_INT(t.samples, 11);
	CHECK_STR(v[0]->func, "spin");
	CHECK_INT(v[0]->samples, 7);
	CHECK_INT(v[0]->per_cpu[0], 2);
	CHECK_INT(v[0]->per_cpu[1], 5);
	CHECK_STR(v[1]->func, "a");	/* ties by name */
	CHECK_STR(v[2]->func, "b");
	CHECK_INT(t.other_cpu, 1);
	free(v);
	j = top_json(&t, 2);
	CHECK_INT(json_array_size(json_object_get(j, "rows")), 2);
	CHECK_INT(json_get_num(j, "functions"), 5);
	CHECK_NEAR(json_number_value(json_object_get(json_array_get(json_object_get(j, "rows"), 0),
						     "share_pct")), 700.0 / 11, 1e-9);
	json_decref(j);
	top_reset(&t);
	CHECK_INT(t.nr, 0);
	CHECK_INT(t.samples, 0);
	top_release(&t);
}

TEST(top, many_rows_hash)
{
	static const int cpus[] = { 0 };
	struct top t;
	const struct top_row **v;
	char name[32];

	top_init(&t, cpus, 1);
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < 3000; i++) {
			snprintf(name, sizeof(name), "f%d", i);
			top_add(&t, name, "m", 0, (uint64_t)i);
		}
	CHECK_INT(t.nr, 3000);
	v = top_ranked(&t);
	CHECK_INT(v[0]->samples, 3 * 2999);
	free(v);
	top_release(&t);
}

TEST(top, text_table)
{
	static const int cpus[] = { 0, 1 };
	struct top t;
	struct strbuf out = STRBUF_INIT;
	struct top_format f = { 1, 1, 0 };

	top_init(&t, cpus, 2);
	top_add(&t, "perflab_test_spin", "prog", 1, 3);
	top_add(&t, "read_zero", "kernel", 0, 1);
	top_format_table(&t, &f, &out);
	CHECK_STR(out.buf,
		  "  SHARE  SAMPLES      CPU0     CPU1 FUNCTION                                  MODULE\n"
		  "  75.0%        3         0        3 perflab_test_spin                         prog\n"
		  "  (1 more functions)\n");
	strbuf_release(&out);
	f = (struct top_format){ 0, 0, 50 };
	top_format_table(&t, &f, &out);
	CHECK_CONTAINS(out.buf, " perflab_test_sp+  prog\n");
	CHECK_CONTAINS(out.buf, " read_zero         kernel\n");
	strbuf_release(&out);
	top_release(&t);
}

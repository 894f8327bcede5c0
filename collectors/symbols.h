#ifndef COLLECTORS_SYMBOLS_H
#define COLLECTORS_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Symbol tables for `perflab top`: the kernel's from /proc/kallsyms,
 * user space's from ELF files (.symtab; for a stripped file, the .symtab
 * of its separate debug file found by libdwfl; else .dynsym) read with
 * libelf. This module owns every libelf and libdwfl handle; callers see
 * plain structs.
 *
 * Addresses in a table are in the object's own address space: kernel
 * virtual addresses for the kernel, ELF virtual addresses (p_vaddr
 * space) for a file. elf_file_vaddr() maps a file offset, which is what
 * a process mapping gives, into that space.
 */

enum sym_bind {
	SYM_LOCAL,	/* kallsyms 't', STB_LOCAL */
	SYM_WEAK,	/* kallsyms 'w'/'W', STB_WEAK */
	SYM_GLOBAL	/* kallsyms 'T', STB_GLOBAL */
};

struct sym {
	uint64_t addr;		/* start address */
	uint64_t size;		/* bytes; 0 = unknown, covers up to the next symbol */
	const char *name;	/* in the table's string pool */
	const char *module;	/* kallsyms "[ext4]", brackets kept; NULL for the main object */
	unsigned char bind;	/* enum sym_bind, to choose among aliases */
};

struct symtab {
	struct sym *syms;	/* sorted by addr, one per address once finished */
	size_t nr, alloc;
	char **pool;		/* owned name blocks; the last one is being filled */
	size_t npool, pool_alloc;
	size_t pool_used;	/* bytes taken in the last block */
	uint64_t end;		/* no symbol covers addr >= end (0 = unbounded) */
};

void symtab_init(struct symtab *t);
void symtab_release(struct symtab *t);
/* Add a symbol; the name is copied (module is interned the same way). */
void symtab_add(struct symtab *t, uint64_t addr, uint64_t size, const char *name,
		size_t name_len, const char *module, enum sym_bind bind);
/*
 * Sort, and keep one symbol per address: among aliases the one with a
 * size, then global over weak over local, then the fewest leading
 * underscores, then the shortest name, then the first in byte order.
 */
void symtab_finish(struct symtab *t);
/*
 * The symbol covering addr, or NULL. A symbol covers [addr, addr+size);
 * one of size 0 covers up to the next symbol (and the last one up to
 * t->end, or nothing when end is 0).
 */
const struct sym *symtab_lookup(const struct symtab *t, uint64_t addr);

/*
 * Parse the text of /proc/kallsyms: "ADDR TYPE NAME [\t[MODULE]]" lines.
 * Only text symbols (t, T, w, W) are kept. A line that does not parse
 * is an error naming origin and the line. When every address is 0
 * (kptr_restrict hides them) the table is left empty and
 * PERFLAB_ENOTFOUND returned, without an error message.
 */
int kallsyms_parse(struct symtab *out, const char *text, const char *origin);
/* Read and parse a kallsyms file ("/proc/kallsyms"). */
int kallsyms_load(struct symtab *out, const char *path);

/* A loadable segment of an ELF file: file offsets to virtual addresses. */
struct elf_seg {
	uint64_t offset;	/* p_offset, bytes into the file */
	uint64_t vaddr;		/* p_vaddr */
	uint64_t filesz;	/* p_filesz, bytes */
};

struct elf_syms {
	struct symtab tab;	/* function symbols, in vaddr space */
	struct elf_seg *segs;	/* PT_LOAD segments */
	size_t nsegs;
	int is_dyn;		/* ET_DYN (PIE or shared library) */
	const char *source;	/* "symtab", "debuginfo", "dynsym" or "none": where
				 * the symbols came from */
	char *debug_file;	/* source "debuginfo": the debug file read (owned) */
};

/*
 * Read the function symbols and load segments of an ELF image in
 * memory (not kept) or of a file. origin names it in errors. A file
 * without .symtab functions (stripped) takes them from its separate
 * debug file when libdwfl finds one by build-id or .gnu_debuglink.
 * Returns 0 (perhaps with no symbols: source "none"), or -1 if it is
 * not an ELF image libelf can read.
 */
int elf_syms_read_mem(struct elf_syms *out, const void *image, size_t len,
		      const char *origin);
int elf_syms_read_file(struct elf_syms *out, const char *path);
void elf_syms_release(struct elf_syms *e);
/*
 * Where debug files are looked for, in libdwfl's syntax: "DIR:DIR...",
 * a leading '+' or '-' to check or not check CRCs; default (NULL)
 * ":.debug:/usr/lib/debug". Applies to files read from now on.
 */
void elf_syms_debuginfo_path(const char *path);
/*
 * The virtual address a file offset is loaded at, through the PT_LOAD
 * segment holding it; UINT64_MAX when no segment holds it.
 */
uint64_t elf_file_vaddr(const struct elf_syms *e, uint64_t offset);

#endif

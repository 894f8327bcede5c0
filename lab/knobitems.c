/* The items of a knob bisection: parsed and checked before anything runs. */
#include "lab/knobitems.h"
#include "lab/run.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "workloads/load.h"

#include <stdlib.h>
#include <string.h>

void knob_items_release(struct items *it)
{
	for (size_t i = 0; i < it->n; i++) {
		free(it->v[i].key);
		free(it->v[i].value);
	}
	free(it->v);
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Names of sysctls and kernel arguments: letters, digits and . _ - / */
static int plain_name(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/") ==
		strlen(s);
}

/* sysctl.NAME = VALUE, boot.ARG = VALUE (or boot.ARG alone). */
static int special_item(struct item *x, const char *path, int lineno, const char *key,
			const char *value)
{
	int boot = !strncmp(key, "boot.", 5);
	const char *name = key + (boot ? 5 : 7);

	if (!plain_name(name))
		return error("%s:%d: '%s': not a %s name", path, lineno, key,
			     boot ? "kernel argument" : "sysctl");
	if (!boot && !*value)
		return error("%s:%d: '%s' has no value", path, lineno, key);
	/* a kernel argument is one word; a sysctl value may hold spaces (tcp_rmem) */
	if ((boot && strpbrk(value, " \t\"'")) || strpbrk(value, "\n\r"))
		return error("%s:%d: '%s': the value '%s' is not one word", path, lineno, key,
			     value);
	x->kind = boot ? ITEM_BOOT : ITEM_SYSCTL;
	x->key = xstrdup(key);
	x->value = xstrdup(value);
	x->name = x->key + (boot ? 5 : 7);
	x->line = lineno;
	return 0;
}

/*
 * Read FILE: "key = value" per line, # comments and blank lines
 * skipped; every key must be a [workload] or [run] option and every
 * value valid for it (checked here, before anything is measured).
 */
int knob_items_parse(struct items *it, const char *path, const char *data, size_t len)
{
	char *text, *line, *next;
	int lineno = 0, ret = 0;
	const char *nul = memchr(data, '\0', len);

	it->path = path;
	if (nul)
		return error("%s: a NUL byte at offset %zu: not a text file", path,
			     (size_t)(nul - data));
	text = xstrndup(data, len);
	for (line = text; line && *line; line = next) {
		char *eq, *key, *value;
		struct item x = { 0 };
		struct strbuf err = STRBUF_INIT;
		struct load_client_opts w;
		struct run_opts r;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		line = trim(line);
		if (!*line || *line == '#')
			continue;
		eq = strchr(line, '=');
		if (!eq) {
			ret = error("%s:%d: '%s': expected KEY = VALUE", path, lineno, line);
			continue;
		}
		*eq = '\0';
		key = trim(line);
		value = trim(eq + 1);
		if (!strncmp(key, "sysctl.", 7) || !strncmp(key, "boot.", 5)) {
			if (special_item(&x, path, lineno, key, value)) {
				ret = -1;
				continue;
			}
			ALLOC_GROW(it->v, it->n + 1, it->alloc);
			it->v[it->n++] = x;
			continue;
		}
		x.o = opt_find(load_client_table, key);
		if (!x.o && (x.o = opt_find(run_table, key)))
			x.in_run = 1;
		if (!x.o) {
			ret = error("%s:%d: '%s' is not a [workload] or [run] key", path, lineno, key);
			continue;
		}
		/* the value must parse: try it on scratch options */
		memset(&w, 0, sizeof(w));
		memset(&r, 0, sizeof(r));
		opt_defaults(load_client_table, &w);
		opt_defaults(run_table, &r);
		if (opt_set(x.o, x.in_run ? (void *)&r : (void *)&w, value, &err)) {
			ret = error("%s:%d: %s", path, lineno, err.buf);
		} else {
			x.key = xstrdup(key);
			x.value = xstrdup(value);
			x.line = lineno;
			ALLOC_GROW(it->v, it->n + 1, it->alloc);
			it->v[it->n++] = x;
		}
		opt_release(load_client_table, &w);
		opt_release(run_table, &r);
		strbuf_release(&err);
	}
	free(text);
	if (!ret && !it->n)
		ret = error("'%s': no items", path);
	return ret;
}

int knob_items_load(struct items *it, const char *path)
{
	size_t len;
	char *text = read_file(path, 1 << 20, &len);
	int ret;

	it->path = path;
	if (!text)
		return error_errno("cannot read items file '%s'", path);
	ret = knob_items_parse(it, path, text, len);
	free(text);
	return ret;
}

/*
 * tracefs: where it is, and what an event's format file says.
 */
#ifdef __linux__	/* FreeBSD: BB logging would be the source (tcprec.h); none yet */
#include "collectors/tcptp.h"
#include "common/fsutil.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/vfs.h>

#define TRACEFS_MAGIC_ 0x74726163

/* The name declared by "TYPE NAME" or "TYPE NAME[N]": the last identifier. */
static int decl_name(struct tp_field *f, const char *decl, size_t n)
{
	size_t end = n, start;

	while (end && decl[end - 1] == ' ')
		end--;
	if (end && decl[end - 1] == ']') {
		while (end && decl[end - 1] != '[')
			end--;
		if (!end)
			return -1;
		end--;
		f->is_array = 1;
	}
	start = end;
	while (start && (decl[start - 1] == '_' || (decl[start - 1] >= 'a' && decl[start - 1] <= 'z') ||
			 (decl[start - 1] >= 'A' && decl[start - 1] <= 'Z') ||
			 (decl[start - 1] >= '0' && decl[start - 1] <= '9')))
		start--;
	if (start == end || end - start >= sizeof(f->name) || start == 0)
		return -1;	/* no name, too long, or no type before it */
	memcpy(f->name, decl + start, end - start);
	f->name[end - start] = '\0';
	return 0;
}

/* The number after "key:" in line, up to ';'. */
static int key_num(const char *line, const char *key, unsigned long max, unsigned long *out)
{
	const char *p = strstr(line, key);
	char *end;

	if (!p)
		return -1;
	p += strlen(key);
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	*out = strtoul(p, &end, 10);
	if (errno || *out > max || *end != ';')
		return -1;
	return 0;
}

/* One "\tfield:DECL;\toffset:N;\tsize:N;\tsigned:N;" line. */
static int parse_field(struct tp_field *f, const char *line)
{
	const char *decl = strstr(line, "field:"), *semi;
	unsigned long off, size, sgn;

	memset(f, 0, sizeof(*f));
	if (!decl)
		return -1;
	decl += strlen("field:");
	semi = strchr(decl, ';');
	if (!semi || decl_name(f, decl, (size_t)(semi - decl)))
		return -1;
	if (key_num(semi, "offset:", 65535, &off) || key_num(semi, "size:", 65535, &size) ||
	    key_num(semi, "signed:", 1, &sgn))
		return -1;
	f->offset = (uint16_t)off;
	f->size = (uint16_t)size;
	f->is_signed = (uint8_t)sgn;
	return 0;
}

static void parse_header(struct tp_format *out, const char *line)
{
	unsigned long id;
	char *end;

	if (!strncmp(line, "print fmt: ", 11) && !out->print_fmt) {
		out->print_fmt = xstrdup(line + 11);
	} else if (!strncmp(line, "name: ", 6)) {
		snprintf(out->name, sizeof(out->name), "%s", line + 6);
	} else if (!strncmp(line, "ID: ", 4)) {
		errno = 0;
		id = strtoul(line + 4, &end, 10);
		if (!errno && id <= UINT32_MAX && !*end)
			out->id = (uint32_t)id;
	}
}

int tp_format_parse(struct tp_format *out, const char *text, const char *origin)
{
	char *copy = xstrdup(text);
	unsigned long lineno = 0;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	for (char *line = copy, *nl; line && !ret; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		lineno++;
		while (*line == ' ' || *line == '\t')
			line++;
		if (strncmp(line, "field:", 6)) {
			parse_header(out, line);
			continue;
		}
		ALLOC_GROW(out->f, out->nr + 1, out->alloc);
		if (parse_field(&out->f[out->nr], line))
			ret = error("%s:%lu: cannot parse the field '%.60s'", origin, lineno, line);
		else
			out->nr++;
	}
	free(copy);
	if (ret)
		tp_format_release(out);
	return ret;
}

void tp_format_release(struct tp_format *f)
{
	free(f->f);
	free(f->print_fmt);
	memset(f, 0, sizeof(*f));
}

/* One '{ N, "NAME" }' at *pp; 0 and past it, or -1 at anything else. */
static int symbol_pair(const char **pp, unsigned long *v, const char **name, size_t *len)
{
	const char *p = *pp, *q;
	char *end;

	while (*p == ' ' || *p == ',')
		p++;
	if (*p++ != '{')
		return -1;
	while (*p == ' ')
		p++;
	errno = 0;
	*v = strtoul(p, &end, 0);
	if (errno || end == p)
		return -1;
	p = end;
	while (*p == ' ' || *p == ',')
		p++;
	if (*p++ != '"' || !(q = strchr(p, '"')))
		return -1;
	*name = p;
	*len = (size_t)(q - p);
	p = q + 1;
	while (*p == ' ')
		p++;
	if (*p++ != '}')
		return -1;
	*pp = p;
	return 0;
}

int tp_format_symbols(const struct tp_format *fmt, const char *field, char **names, size_t max)
{
	char key[64];
	const char *p;
	unsigned long v;
	const char *name;
	size_t len;
	int n = 0;

	for (size_t i = 0; i < max; i++)
		names[i] = NULL;
	snprintf(key, sizeof(key), "__print_symbolic(REC->%s,", field);
	if (!fmt->print_fmt || !(p = strstr(fmt->print_fmt, key)))
		return 0;
	p += strlen(key);
	while (!symbol_pair(&p, &v, &name, &len))
		if (v < max && !names[v]) {
			names[v] = xstrndup(name, len);
			n++;
		}
	return n;
}

const struct tp_field *tp_format_field(const struct tp_format *fmt, const char *name)
{
	for (size_t i = 0; i < fmt->nr; i++)
		if (!strcmp(fmt->f[i].name, name))
			return &fmt->f[i];
	return NULL;
}

static int in_range(const struct tp_field *f, size_t len)
{
	return f && (size_t)f->offset + f->size <= len;
}

int tp_get_u64(const struct tp_field *f, const unsigned char *raw, size_t len, uint64_t *out)
{
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;

	if (!in_range(f, len))
		return -1;
	switch (f->size) {
	case 1: memcpy(&v8, raw + f->offset, 1); *out = v8; return 0;
	case 2: memcpy(&v16, raw + f->offset, 2); *out = v16; return 0;
	case 4: memcpy(&v32, raw + f->offset, 4); *out = v32; return 0;
	case 8: memcpy(out, raw + f->offset, 8); return 0;
	}
	return -1;
}

int tp_get_i64(const struct tp_field *f, const unsigned char *raw, size_t len, int64_t *out)
{
	uint64_t u;

	if (tp_get_u64(f, raw, len, &u))
		return -1;
	if (f->is_signed && f->size < 8 && (u >> (f->size * 8 - 1)) & 1)
		u |= ~UINT64_C(0) << (f->size * 8);
	memcpy(out, &u, sizeof(*out));
	return 0;
}

const unsigned char *tp_get_bytes(const struct tp_field *f, const unsigned char *raw, size_t len)
{
	return in_range(f, len) ? raw + f->offset : NULL;
}

static int has_events(const char *dir)
{
	char *p = xasprintf("%s/events", dir);
	int ok = is_dir(p);

	free(p);
	return ok;
}

const char *tp_tracefs(const char **why)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	struct statfs st;

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (has_events(dirs[i]))
			return dirs[i];
	if (!is_root()) {
		*why = "tracefs is not mounted and mounting it needs root";
		return NULL;
	}
	if (!is_dir(dirs[0]) || (mount("nodev", dirs[0], "tracefs", 0, NULL) && errno != EBUSY)) {
		*why = "tracefs is not mounted and cannot be mounted at /sys/kernel/tracing";
		return NULL;
	}
	if (statfs(dirs[0], &st) || st.f_type != TRACEFS_MAGIC_ || !has_events(dirs[0])) {
		*why = "the kernel has no tracefs with events";
		return NULL;
	}
	return dirs[0];
}

int tp_format_load(struct tp_format *out, const char *tracefs, const char *sys,
		   const char *name)
{
	char *dir = xasprintf("%s/events/%s/%s", tracefs, sys, name);
	char *path = xasprintf("%s/format", dir);
	char *text;
	int ret = PERFLAB_ENOTFOUND;

	memset(out, 0, sizeof(*out));
	if (is_dir(dir)) {
		text = read_file(path, 1 << 20, NULL);
		ret = !text ? error_errno("cannot read '%s'", path)
			    : tp_format_parse(out, text, path);
		free(text);
		if (!ret && !out->id)
			ret = error("%s: no event id", path);
		if (ret)
			tp_format_release(out);
	}
	free(path);
	free(dir);
	return ret;
}

#endif /* __linux__ */

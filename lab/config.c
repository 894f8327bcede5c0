#include "lab/config.h"
#include "lab/hosts.h"
#include "lab/job.h"
#include "lab/run.h"
#include "lab/deploy.h"
#include "lab/thresholds.h"
#include "lab/checks.h"
#include "common/cgroup.h"
#include "common/opt.h"
#include "common/parse.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "workloads/load.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

/*
 * The section kinds perflab knows. A file's first section decides
 * whether it is a hosts file or a job file; the other kind's sections
 * are an error there.
 */
struct cfg_schema {
	const char *kind;
	int named;			/* [kind NAME] rather than [kind] */
	enum cfg_file_kind file;
	const struct opt *table;
	const struct opt *(*table_fn)(void);	/* a table made at run time, when table is NULL */
	size_t size;			/* of the struct the table fills */
	int (*check)(const struct cfg_file *f, const struct cfg_section *s, void *target);
};

static int check_host(const struct cfg_file *f, const struct cfg_section *s, void *t);
static int check_workload(const struct cfg_file *f, const struct cfg_section *s, void *t);
static int check_deploy(const struct cfg_file *f, const struct cfg_section *s, void *t);

static const struct cfg_schema schemas[] = {
	{ "host", 1, CFG_HOSTS, host_table, NULL, sizeof(struct host), check_host },
	{ "workload", 0, CFG_JOB, load_client_table, NULL, sizeof(struct load_client_opts),
	  check_workload },
	{ "run", 0, CFG_JOB, run_table, NULL, sizeof(struct run_opts), NULL },
	{ "deploy", 0, CFG_JOB, deploy_table, NULL, sizeof(struct deploy_opts), check_deploy },
	{ "thresholds", 0, CFG_JOB, NULL, thresholds_table, sizeof(struct thresholds), thresholds_check },
	{ "source", 0, CFG_JOB, job_source_table, NULL, sizeof(struct job_source), job_source_check },
	{ "checks", 0, CFG_JOB, NULL, checks_table, sizeof(struct checks), checks_check },
};

static const char *const file_kind_names[] = { "configuration", "hosts", "job" };

static const struct cfg_schema *schema_of(const char *kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(schemas); i++)
		if (!strcmp(schemas[i].kind, kind))
			return &schemas[i];
	return NULL;
}

static const struct opt *schema_table(const struct cfg_schema *s)
{
	return s->table ? s->table : s->table_fn();
}

/* State while libinih walks the file. */
struct parse_state {
	struct cfg_file *f;
	const char *buf;	/* the whole file */
	size_t len, pos;
	int lineno;		/* the line the reader last returned */
	int errors;
	int in_section;		/* a section header has been seen */
	int last_key_line;	/* continuation lines join this entry */
};

static void cfg_error(struct parse_state *ps, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cfg_error(struct parse_state *ps, int line, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	error("%s:%d: %s", ps->f->path, line, sb.buf);
	strbuf_release(&sb);
	ps->errors++;
}

static int is_blank_or_comment(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	return !*s || *s == '\n' || *s == '#' || *s == ';';
}

static void add_section(struct parse_state *ps, const char *line)
{
	struct cfg_file *f = ps->f;
	const char *open = strchr(line, '['), *close = strrchr(line, ']');
	struct cfg_section *s;
	char *inner, *sp;
	size_t n;

	if (!close || close < open) {
		cfg_error(ps, ps->lineno, "unterminated section header '%s'", line);
		return;
	}
	n = (size_t)(close - open - 1);
	inner = xstrndup(open + 1, n);
	ALLOC_GROW(f->v, f->nr + 1, f->alloc);
	s = &f->v[f->nr++];
	memset(s, 0, sizeof(*s));
	s->line = ps->lineno;
	sp = strpbrk(inner, " \t");
	if (sp) {
		*sp++ = '\0';
		while (*sp == ' ' || *sp == '\t')
			sp++;
		while (n && isspace((unsigned char)inner[n - 1]))
			inner[--n] = '\0';
		s->name = xstrdup(sp);
	}
	s->kind = xstrdup(inner);
	free(inner);
	ps->in_section = 1;
	ps->last_key_line = 0;
}

/*
 * Comments are whole lines only. The Debian libinih is built with inline
 * comments on (INI_ALLOW_INLINE_COMMENTS, a compile-time setting): a `;`
 * after a blank would end the value there. So the reader hands inih
 * every `;` of a key line as CFG_SEMI, and the handler turns it back.
 * CFG_SEMI is a control character, which a line may not hold.
 */
#define CFG_SEMI '\x1f'

/* A control character other than tab and line ends, or 0. */
static int control_char(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
			return c ? c : -1;
	}
	return 0;
}

/* Check one raw line before libinih sees it; 1 when it holds a key or a value. */
static int classify_line(struct parse_state *ps, const char *line, size_t len)
{
	const char *p = line;
	int c;

	while (*p == ' ' || *p == '\t')
		p++;
	if ((c = control_char(line, len))) {
		if (c < 0)
			cfg_error(ps, ps->lineno, "binary data (a NUL byte)");
		else
			cfg_error(ps, ps->lineno, "binary data (control character 0x%02x)", c);
		return 0;
	}
	if (is_blank_or_comment(line))
		return 0;
	if (*p == '[') {
		add_section(ps, p);
		return 0;
	}
	if (p > line && ps->last_key_line)
		return 1;		/* a continuation line */
	if (!strchr(p, '=') && !strchr(p, ':')) {
		cfg_error(ps, ps->lineno, "expected 'key = value' or '[section]', got '%.*s'",
			  (int)strcspn(p, "\r\n"), p);
		return 0;
	}
	if (!ps->in_section)
		cfg_error(ps, ps->lineno, "'%.*s' is outside any [section]",
			  (int)strcspn(p, "\r\n"), p);
	ps->last_key_line = ps->lineno;
	return 1;
}

/* CFG_SEMI back to `;`, in a copy. */
static char *unhide_semis(const char *s)
{
	char *copy = xstrdup(s);

	for (char *p = copy; (p = strchr(p, CFG_SEMI)); p++)
		*p = ';';
	return copy;
}

/* libinih's line source: one line of the buffer per call, like fgets. */
static char *reader(char *str, int num, void *stream)
{
	struct parse_state *ps = stream;
	const char *start = ps->buf + ps->pos, *nl;
	size_t len, avail = ps->len - ps->pos;

	if (!avail)
		return NULL;
	nl = memchr(start, '\n', avail);
	len = nl ? (size_t)(nl - start) + 1 : avail;
	ps->pos += len;
	ps->lineno++;
	if (len >= (size_t)num) {
		cfg_error(ps, ps->lineno, "line longer than %d bytes; continue the value "
			  "on an indented line", num - 2);
		str[0] = '\n';	/* keep inih's line count; drop the line */
		str[1] = '\0';
		return str;
	}
	memcpy(str, start, len);
	str[len] = '\0';
	if (classify_line(ps, str, len)) {
		for (char *p = str; (p = strchr(p, ';')); p++)
			*p = CFG_SEMI;	/* never an inline comment */
	} else if (control_char(start, len)) {
		str[0] = '\n';
		str[1] = '\0';
	}
	return str;
}

static struct cfg_entry *find_entry(const struct cfg_section *s, const char *key)
{
	for (size_t i = 0; i < s->nr; i++)
		if (!strcmp(s->v[i].key, key))
			return &s->v[i];
	return NULL;
}

static void add_entry(struct parse_state *ps, const char *section, char *name, char *value)
{
	struct cfg_file *f = ps->f;
	struct cfg_section *s = &f->v[f->nr - 1];
	struct cfg_entry *e = find_entry(s, name);

	if (e && ps->lineno != e->line && ps->last_key_line == e->line &&
	    ps->lineno > e->line) {
		/* a continuation line: inih calls again with the same name */
		char *joined = xasprintf("%s %s", e->value, value);

		free(e->value);
		e->value = joined;
	} else if (e) {
		cfg_error(ps, ps->lineno, "duplicate key '%s' in [%s] (first at line %d)",
			  name, section, e->line);
	} else {
		ALLOC_GROW(s->v, s->nr + 1, s->alloc);
		e = &s->v[s->nr++];
		e->key = name;
		e->value = value;
		e->line = ps->lineno;
		return;		/* the entry owns them */
	}
	free(name);
	free(value);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *ps = user;

	if (!ps->f->nr)
		return 1;	/* reported by the reader: outside any section */
	add_entry(ps, section, unhide_semis(name), unhide_semis(value));
	return 1;
}

static void section_label(const struct cfg_section *s, struct strbuf *out)
{
	strbuf_addf(out, "[%s%s%s]", s->kind, s->name ? " " : "", s->name ? s->name : "");
}

static int check_section_shape(struct parse_state *ps, const struct cfg_section *s,
			       const struct cfg_schema *sc)
{
	struct cfg_file *f = ps->f;
	struct strbuf label = STRBUF_INIT;
	int ret = 0;

	section_label(s, &label);
	if (!sc) {
		struct strbuf known = STRBUF_INIT;

		for (size_t i = 0; i < ARRAY_SIZE(schemas); i++)
			strbuf_addf(&known, "%s%s", i ? ", " : "", schemas[i].kind);
		cfg_error(ps, s->line, "unknown section %s (known: %s)", label.buf, known.buf);
		strbuf_release(&known);
		ret = -1;
	} else if (sc->named && (!s->name || !*s->name)) {
		cfg_error(ps, s->line, "section [%s] needs a name: [%s NAME]", s->kind, s->kind);
		ret = -1;
	} else if (!sc->named && s->name) {
		cfg_error(ps, s->line, "section %s takes no name: [%s]", label.buf, s->kind);
		ret = -1;
	} else if (f->kind == CFG_UNKNOWN) {
		f->kind = sc->file;
	} else if (f->kind != sc->file) {
		cfg_error(ps, s->line, "%s belongs in a %s file, but this is a %s file "
			  "(from its first section at line %d)", label.buf,
			  file_kind_names[sc->file], file_kind_names[f->kind], f->v[0].line);
		ret = -1;
	}
	strbuf_release(&label);
	return ret;
}

static void check_duplicate_sections(struct parse_state *ps)
{
	struct cfg_file *f = ps->f;

	for (size_t i = 0; i < f->nr; i++) {
		for (size_t j = 0; j < i; j++) {
			const struct cfg_section *a = &f->v[j], *b = &f->v[i];

			if (strcmp(a->kind, b->kind) || (a->name == NULL) != (b->name == NULL) ||
			    (a->name && strcmp(a->name, b->name)))
				continue;
			if (b->name)
				cfg_error(ps, b->line, "duplicate %s '%s' (first at line %d)",
					  b->kind, b->name, a->line);
			else
				cfg_error(ps, b->line, "duplicate section [%s] (first at line %d)",
					  b->kind, a->line);
			break;
		}
	}
}

/* Unknown keys and bad values of one section, into a scratch struct. */
static void check_values(struct parse_state *ps, const struct cfg_section *s,
			 const struct cfg_schema *sc)
{
	void *scratch = xcalloc(1, sc->size);
	int before = ps->errors;

	opt_defaults(schema_table(sc), scratch);
	for (size_t i = 0; i < s->nr; i++) {
		const struct cfg_entry *e = &s->v[i];
		const struct opt *o = opt_find(schema_table(sc), e->key);
		struct strbuf err = STRBUF_INIT;

		if (!o)
			cfg_error(ps, e->line, "unknown key '%s' in [%s]", e->key, s->kind);
		else if (opt_set(o, scratch, e->value, &err))
			cfg_error(ps, e->line, "%s", err.buf);
		strbuf_release(&err);
	}
	if (ps->errors == before && sc->check && sc->check(ps->f, s, scratch))
		ps->errors++;
	opt_release(schema_table(sc), scratch);
	free(scratch);
}

int cfg_file_parse(struct cfg_file *out, const char *name, const char *buf, size_t len)
{
	struct parse_state ps = { .f = out, .buf = buf, .len = len };
	int r;

	memset(out, 0, sizeof(*out));
	out->path = xstrdup(name);
	if (len > CFG_MAX_BYTES) {
		error("%s: larger than %d bytes; not a configuration file", name, CFG_MAX_BYTES);
		cfg_file_release(out);
		return -1;
	}
	r = ini_parse_stream(reader, &ps, handler, &ps);
	if (r > 0 && !ps.errors)
		cfg_error(&ps, r, "cannot parse this line");
	check_duplicate_sections(&ps);
	for (size_t i = 0; i < out->nr; i++) {
		const struct cfg_schema *sc = schema_of(out->v[i].kind);

		if (!check_section_shape(&ps, &out->v[i], sc))
			check_values(&ps, &out->v[i], sc);
	}
	if (!out->nr && !ps.errors)
		cfg_error(&ps, ps.lineno ? ps.lineno : 1, "no sections: nothing configured");
	if (ps.errors) {
		cfg_file_release(out);
		return -1;
	}
	return 0;
}

int cfg_file_load(struct cfg_file *out, const char *path)
{
	size_t len;
	char *buf = read_file(path, CFG_MAX_BYTES, &len);
	int ret;

	memset(out, 0, sizeof(*out));
	if (!buf) {
		if (errno == EFBIG)
			return error("%s: larger than %d bytes; not a configuration file", path,
				     CFG_MAX_BYTES);
		return error_errno("cannot read '%s'", path);
	}
	ret = cfg_file_parse(out, path, buf, len);
	free(buf);
	return ret;
}

void cfg_file_release(struct cfg_file *f)
{
	for (size_t i = 0; i < f->nr; i++) {
		struct cfg_section *s = &f->v[i];

		for (size_t j = 0; j < s->nr; j++) {
			free(s->v[j].key);
			free(s->v[j].value);
		}
		free(s->v);
		free(s->kind);
		free(s->name);
	}
	free(f->v);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

int cfg_section_apply(const struct cfg_file *f, const struct cfg_section *s,
		      const struct opt *table, void *target)
{
	int ret = 0;

	for (size_t i = 0; i < s->nr; i++) {
		const struct opt *o = opt_find(table, s->v[i].key);
		struct strbuf err = STRBUF_INIT;

		if (!o)
			ret = error("%s:%d: unknown key '%s'", f->path, s->v[i].line, s->v[i].key);
		else if (opt_set(o, target, s->v[i].value, &err))
			ret = error("%s:%d: %s", f->path, s->v[i].line, err.buf);
		strbuf_release(&err);
	}
	return ret;
}

const struct cfg_section *cfg_find(const struct cfg_file *f, const char *kind)
{
	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->v[i].kind, kind))
			return &f->v[i];
	return NULL;
}

static void print_key(const struct opt *o, const void *t, struct strbuf *out)
{
	strbuf_addf(out, "%s = ", o->name);
	opt_format(o, t, out);
	strbuf_addch(out, '\n');
}

void cfg_print(const struct cfg_file *f, struct strbuf *out)
{
	for (size_t i = 0; i < f->nr; i++) {
		const struct cfg_section *s = &f->v[i];
		const struct cfg_schema *sc = schema_of(s->kind);
		void *t = xcalloc(1, sc->size);
		int defaults = 0;

		opt_defaults(schema_table(sc), t);
		cfg_section_apply(f, s, schema_table(sc), t);
		if (i)
			strbuf_addch(out, '\n');
		section_label(s, out);
		strbuf_addch(out, '\n');
		for (const struct opt *o = schema_table(sc); o->name; o++) {
			if (find_entry(s, o->name))
				print_key(o, t, out);
		}
		/* comments are whole lines: the defaults go under one */
		for (const struct opt *o = schema_table(sc); o->name; o++) {
			if (find_entry(s, o->name))
				continue;
			if (!defaults++)
				strbuf_addstr(out, "# defaults, not set in the file:\n");
			print_key(o, t, out);
		}
		opt_release(schema_table(sc), t);
		free(t);
	}
}

static int has_key(const struct cfg_section *s, const char *key)
{
	return find_entry(s, key) != NULL;
}

/* Every {placeholder} in a host command must be one we substitute. */
/*
 * A placeholder is `{name}` with a lowercase name; other braces (a shell
 * brace group in `sh -c "..."`) are text. Every placeholder must be one
 * perflab fills.
 */
static size_t placeholder_len(const char *p)
{
	size_t n = 0;

	while (islower((unsigned char)p[1 + n]) || p[1 + n] == '_')
		n++;
	return n && p[1 + n] == '}' ? n : 0;
}

static int check_placeholders(const struct cfg_file *f, const struct cfg_section *s,
			      const char *key, char **argv)
{
	for (int i = 0; argv && argv[i]; i++) {
		for (const char *p = strchr(argv[i], '{'); p; p = strchr(p + 1, '{')) {
			size_t n = placeholder_len(p);
			int known = 0;

			for (int k = 0; n && host_placeholders[k]; k++)
				if (strlen(host_placeholders[k]) == n &&
				    !strncmp(p + 1, host_placeholders[k], n))
					known = 1;
			if (n && !known)
				return error("%s:%d: unknown placeholder '%.*s' in '%s' "
					     "(known: {host} {address} {user} {port} {image} "
					     "{commit} {workdir})", f->path,
					     find_entry(s, key)->line, (int)n + 2, p, key);
		}
	}
	return 0;
}

static int check_host(const struct cfg_file *f, const struct cfg_section *s, void *t)
{
	struct host *h = t;
	int ret = 0;

	if (!has_key(s, "address"))
		ret = error("%s:%d: [host %s] has no 'address' (an ssh address or 'local')",
			    f->path, s->line, s->name);
	if (!has_key(s, "role"))
		ret = error("%s:%d: [host %s] has no 'role' (dut, client or build)",
			    f->path, s->line, s->name);
	if (has_key(s, "address") && !*h->address)
		ret = error("%s:%d: empty 'address' in [host %s]", f->path,
			    find_entry(s, "address")->line, s->name);
	if (check_placeholders(f, s, "install", h->install) ||
	    check_placeholders(f, s, "reboot", h->reboot) ||
	    check_placeholders(f, s, "power_cycle", h->power_cycle) ||
	    check_placeholders(f, s, "console", h->console))
		ret = -1;
	if (*h->cpus && cpulist_count(h->cpus) < 0)
		ret = error("%s:%d: invalid 'cpus' '%s' in [host %s]: a CPU list such as 1 or 2-3,6",
			    f->path, find_entry(s, "cpus")->line, h->cpus, s->name);
	if (*h->cgroup && (h->cgroup[0] == '/' || strstr(h->cgroup, "..") ||
			   strspn(h->cgroup, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789/-_.") != strlen(h->cgroup)))
		ret = error("%s:%d: invalid 'cgroup' '%s' in [host %s]: a relative path such as "
			    "perflab/plab/dut1", f->path, find_entry(s, "cgroup")->line, h->cgroup,
			    s->name);
	return ret;
}

static int check_workload(const struct cfg_file *f, const struct cfg_section *s, void *t)
{
	struct load_client_opts *o = t;

	if (load_client_resolve(o))
		return error("%s:%d: the [workload] above does not fit together", f->path,
			     s->line);
	return 0;
}

static int check_deploy(const struct cfg_file *f, const struct cfg_section *s, void *t)
{
	struct deploy_opts *d = t;

	if (check_placeholders(f, s, "install", d->install) ||
	    check_placeholders(f, s, "reboot", d->reboot) ||
	    check_placeholders(f, s, "ready", d->ready))
		return -1;
	if (d->server == SERVER_IMAGE && !d->port)
		return error("%s:%d: [deploy] server = image needs the image's 'port'", f->path,
			     s->line);
	return 0;
}

/*
 * The host fingerprint as a format: taking one (through the reader of
 * this OS), its hash, writing it beside a run and reading it back with
 * its shape checked. What each OS reads lives in fingerprint-linux.c
 * and fingerprint-freebsd.c.
 */
#include "collectors/fingerprint.h"
#include "collectors/fingerprint-os.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define FP_MAX_FILE (16 << 20)	/* bytes: a fingerprint is a few KiB, never this */
#define DEV_GROUP_MIN 4		/* devices named PREFIX<n> summarized from this many */
#define CPUINFO_MAX_DISTINCT 8	/* distinct values of one cpuinfo field kept */

char *fp_squeeze(char *s)
{
	char *w = s;
	int gap = 0;

	if (!s)
		return NULL;
	for (const char *r = s; *r; r++) {
		unsigned char ch = (unsigned char)*r;

		if (ch <= ' ' || ch == 0x7f) {
			gap = w != s;
			continue;
		}
		if (gap)
			*w++ = ' ';
		gap = 0;
		*w++ = (char)ch;
	}
	*w = '\0';
	if (!*s) {
		free(s);
		return NULL;
	}
	return s;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

json_t *fp_words(const char *text)
{
	char *copy, *save = NULL, **v = NULL;
	size_t n = 0, alloc = 0;
	json_t *arr;

	if (!text)
		return json_null();
	copy = xstrdup(text);
	for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		ALLOC_GROW(v, n + 1, alloc);
		v[n++] = w;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		if (!i || strcmp(v[i], v[i - 1]))
			json_array_append_new(arr, json_string(v[i]));
	free(v);
	free(copy);
	return arr;
}

char *fp_choice(char *text)
{
	char *open = text ? strchr(text, '[') : NULL;
	char *close = open ? strchr(open, ']') : NULL;

	if (!close)
		return text;
	memmove(text, open + 1, (size_t)(close - open - 1));
	text[close - open - 1] = '\0';
	return fp_squeeze(text);
}

void fingerprint_ranges(struct strbuf *out, const int *v, size_t n)
{
	for (size_t i = 0; i < n; ) {
		size_t j = i;

		while (j + 1 < n && v[j + 1] == v[j] + 1)
			j++;
		strbuf_addf(out, "%s%d", i ? "," : "", v[i]);
		if (j > i)
			strbuf_addf(out, "-%d", v[j]);
		i = j + 1;
	}
}

/* The distinct values of one cpuinfo field, in the order first seen. */
struct distinct {
	char *v[CPUINFO_MAX_DISTINCT];
	size_t nr;
	int more;	/* values past the limit were dropped */
};

static void distinct_add(struct distinct *d, const char *value, size_t len)
{
	char *s = fp_squeeze(xstrndup(value, len));

	if (!s)
		return;
	for (size_t i = 0; i < d->nr; i++)
		if (!strcmp(d->v[i], s)) {
			free(s);
			return;
		}
	if (d->nr == CPUINFO_MAX_DISTINCT) {
		d->more = 1;
		free(s);
		return;
	}
	d->v[d->nr++] = s;
}

static void distinct_set(struct distinct *d, json_t *obj, const char *key)
{
	struct strbuf sb = STRBUF_INIT;

	if (!d->nr)
		return;
	qsort(d->v, d->nr, sizeof(*d->v), cmp_str);
	for (size_t i = 0; i < d->nr; i++) {
		strbuf_addf(&sb, "%s%s", i ? ", " : "", d->v[i]);
		free(d->v[i]);
	}
	if (d->more)
		strbuf_addstr(&sb, ", ...");
	json_set_str(obj, key, sb.buf);
	strbuf_release(&sb);
}

/* cpuinfo's field names, x86 and arm64, and the key each fills. */
static const struct {
	const char *field, *key;
} cpuinfo_map[] = {
	{ "model name", "model" }, { "vendor_id", "vendor" }, { "cpu family", "family" },
	{ "model", "model_id" }, { "stepping", "stepping" }, { "microcode", "microcode" },
	{ "CPU implementer", "vendor" }, { "CPU part", "model_id" },
	{ "CPU variant", "stepping" }, { "CPU architecture", "family" },
};

static int field_is(const char *line, size_t len, const char *field)
{
	size_t n = strlen(field);

	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	return len == n && !memcmp(line, field, n);
}

void fingerprint_cpuinfo(json_t *cpu, const char *text)
{
	struct distinct d[ARRAY_SIZE(cpuinfo_map)];

	memset(d, 0, sizeof(d));
	for (const char *p = text; p && *p; ) {
		const char *eol = strchrnul(p, '\n');
		const char *colon = memchr(p, ':', (size_t)(eol - p));

		for (size_t k = 0; colon && k < ARRAY_SIZE(cpuinfo_map); k++)
			if (field_is(p, (size_t)(colon - p), cpuinfo_map[k].field))
				distinct_add(&d[k], colon + 1, (size_t)(eol - colon - 1));
		p = *eol ? eol + 1 : eol;
	}
	for (size_t k = 0; k < ARRAY_SIZE(cpuinfo_map); k++)
		distinct_set(&d[k], cpu, cpuinfo_map[k].key);
}

/*
 * Devices: recorded one by one, then sorted so that instances of one
 * kind (memory0..memory191, cpu0..cpu255) with one driver sit together
 * and can be counted instead of listed.
 */
struct fp_dev {
	char *key;	/* "bus/name" */
	char *driver;	/* NULL: no driver bound */
	size_t plen;	/* length of "bus/PREFIX" when name is PREFIX<number>, else 0 */
};

struct fp_devices {
	struct fp_dev *v;
	size_t nr, alloc;
};

struct fp_devices *fp_devices_new(void)
{
	return xcalloc(1, sizeof(struct fp_devices));
}

/*
 * Length of the letters before a trailing number ("memory" of
 * "memory12"), or 0. Only letters-then-digits names are instance
 * counters; anything with separators (0000:00:1f.2, 1-1.2) is a bus
 * address and is kept whole.
 */
static size_t instance_prefix(const char *name)
{
	size_t p = 0;

	while (isalpha((unsigned char)name[p]) || name[p] == '_')
		p++;
	if (!p || !isdigit((unsigned char)name[p]))
		return 0;
	for (size_t q = p; name[q]; q++)
		if (!isdigit((unsigned char)name[q]))
			return 0;
	return p;
}

void fp_devices_add(struct fp_devices *d, const char *bus, const char *name,
		    const char *driver)
{
	size_t p = instance_prefix(name);
	struct fp_dev *e;

	ALLOC_GROW(d->v, d->nr + 1, d->alloc);
	e = &d->v[d->nr++];
	e->key = xasprintf("%s/%s", bus, name);
	e->driver = driver ? xstrdup(driver) : NULL;
	e->plen = p ? strlen(bus) + 1 + p : 0;
}

static int dev_cmp(const void *va, const void *vb)
{
	const struct fp_dev *a = va, *b = vb;
	size_t la = a->plen ? a->plen : strlen(a->key);
	size_t lb = b->plen ? b->plen : strlen(b->key);
	int c = strncmp(a->key, b->key, la < lb ? la : lb);

	if (c || la != lb)
		return c ? c : (la < lb ? -1 : 1);
	if (!a->driver != !b->driver)
		return a->driver ? 1 : -1;
	c = a->driver ? strcmp(a->driver, b->driver) : 0;
	return c ? c : strcmp(a->key, b->key);
}

/* How many devices from i on share i's prefix and driver. */
static size_t run_length(const struct fp_devices *d, size_t i)
{
	const struct fp_dev *a = &d->v[i];
	size_t j = i + 1;

	if (!a->plen)
		return 1;
	while (j < d->nr && d->v[j].plen == a->plen &&
	       !strncmp(d->v[j].key, a->key, a->plen) &&
	       !a->driver == !d->v[j].driver &&
	       (!a->driver || !strcmp(a->driver, d->v[j].driver)))
		j++;
	return j - i;
}

static void add_group(json_t *out, const struct fp_dev *e, size_t n)
{
	char *key = xasprintf("%.*s*", (int)e->plen, e->key);
	json_t *g = json_object_get(out, key);

	if (!g) {
		g = json_object();
		json_object_set_new(out, key, g);
	}
	json_set_int(g, e->driver ? e->driver : "(none)", (long long)n);
	free(key);
}

json_t *fp_devices_finish(struct fp_devices *d)
{
	json_t *out = json_object();

	if (d->nr)
		qsort(d->v, d->nr, sizeof(*d->v), dev_cmp);
	for (size_t i = 0; i < d->nr; ) {
		size_t n = run_length(d, i);

		if (n >= DEV_GROUP_MIN)
			add_group(out, &d->v[i], n);
		else
			for (size_t k = i; k < i + n; k++)
				json_set_str(out, d->v[k].key, d->v[k].driver);
		i += n;
	}
	for (size_t i = 0; i < d->nr; i++) {
		free(d->v[i].key);
		free(d->v[i].driver);
	}
	free(d->v);
	free(d);
	return out;
}

#if !defined(__linux__) && !defined(__FreeBSD__)
void fingerprint_os_take(json_t *fp, const char *root)
{
	static const char *const sections[] = {
		"os", "kernel", "cpu", "cpufreq", "cpuidle", "clocksource", "mitigations",
		"tcp", "sysctl", "nics", "modules", "devices"
	};

	note("no host fingerprint reader for this OS: every section is null");
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		json_set(fp, sections[i], json_null());
}
#endif

json_t *fingerprint_take_at(const char *root)
{
	json_t *fp = json_object();

	json_set_int(fp, "fingerprint_version", FINGERPRINT_VERSION);
	fingerprint_os_take(fp, root ? root : "");
	return fp;
}

json_t *fingerprint_take(void)
{
	return fingerprint_take_at("");
}

void fingerprint_hash(const json_t *fp, char out[SHA256_HEX])
{
	json_t *copy = json_copy((json_t *)fp);
	char *s;

	if (json_is_object(copy))
		json_object_del(copy, "sha256");
	s = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (!s)
		die("out of memory serializing JSON");
	sha256_hex(s, strlen(s), out);
	free(s);
	json_decref(copy);
}

int fingerprint_write(const char *dir)
{
	json_t *fp = fingerprint_take();
	char hex[SHA256_HEX];
	char *path = xasprintf("%s/" FINGERPRINT_FILE, dir);
	int ret;

	fingerprint_hash(fp, hex);
	json_set_str(fp, "sha256", hex);
	ret = json_write_file(path, fp, 1);
	free(path);
	json_decref(fp);
	return ret;
}

/* Reading fingerprints back: the shape is checked before anything trusts it. */

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE: case JSON_FALSE: return "boolean";
	default: return "null";
	}
}


/* A value a section may hold directly: a scalar, null or a list of strings. */
static int is_leaf(const json_t *v)
{
	return !json_is_object(v) && (!json_is_array(v) || json_is_string_list(v));
}

static int bad(const char *name, const char *path, const json_t *v, const char *want)
{
	return error("'%s' is not a perflab fingerprint: '%s' is of type %s, expected %s",
		     name, path, type_name(v), want);
}

/* An object of leaves, with objects nested at most depth deep. */
static int check_flat(const json_t *o, const char *name, const char *path, int depth)
{
	const char *key;
	json_t *v;
	int ret = 0;

	if (!json_is_object(o))
		return bad(name, path, o, "an object");
	json_object_foreach((json_t *)o, key, v) {
		char *sub = xasprintf("%s.%s", path, key);

		if (json_is_object(v) && depth > 0)
			ret = check_flat(v, name, sub, depth - 1);
		else if (!is_leaf(v))
			ret = bad(name, sub, v, "a string, number, boolean, null or list of strings");
		free(sub);
		if (ret)
			return ret;
	}
	return 0;
}

static int check_strings(const json_t *o, const char *name, const char *path, int depth)
{
	const char *key;
	json_t *v;

	if (!json_is_object(o))
		return bad(name, path, o, "an object");
	json_object_foreach((json_t *)o, key, v)
		if (!json_is_string(v) && !json_is_null(v)) {
			char *sub = xasprintf("%s.%s", path, key);
			int ret = bad(name, sub, v, "a string or null");

			free(sub);
			return ret;
		}
	return 0;
}

static int check_list(const json_t *v, const char *name, const char *path, int depth)
{
	return json_is_string_list(v) ? 0 : bad(name, path, v, "a list of strings");
}

/* devices: "bus/name" -> driver or null, or a group { driver: count }. */
static int check_devices(const json_t *o, const char *name, const char *path, int depth)
{
	const char *key, *drv;
	json_t *v, *n;

	if (!json_is_object(o))
		return bad(name, path, o, "an object");
	json_object_foreach((json_t *)o, key, v) {
		int ok = json_is_string(v) || json_is_null(v) || json_is_object(v);

		json_object_foreach(json_is_object(v) ? v : NULL, drv, n)
			ok = ok && json_is_integer(n);
		if (!ok) {
			char *sub = xasprintf("%s.%s", path, key);
			int ret = bad(name, sub, v, "a driver name, null or { driver: count }");

			free(sub);
			return ret;
		}
	}
	return 0;
}

static const struct {
	const char *name;
	int (*check)(const json_t *v, const char *name, const char *path, int depth);
	int depth;	/* how deep objects may nest inside */
} sections[] = {
	{ "os", check_flat, 0 }, { "kernel", check_flat, 0 }, { "cpu", check_flat, 0 },
	{ "cpufreq", check_flat, 2 },	/* policies -> group -> fields */
	{ "cpuidle", check_flat, 0 }, { "clocksource", check_flat, 0 },
	{ "mitigations", check_strings, 0 }, { "tcp", check_flat, 0 },
	{ "sysctl", check_strings, 0 },
	{ "nics", check_flat, 2 },	/* interface -> fields -> offloads */
	{ "modules", check_list, 0 }, { "devices", check_devices, 0 },
};

static int check_version(const json_t *fp, const char *name)
{
	const json_t *v = json_object_get(fp, "fingerprint_version");

	if (!v)
		return error("'%s' is not a perflab fingerprint: no 'fingerprint_version'", name);
	if (!json_is_integer(v))
		return bad(name, "fingerprint_version", v, "an integer");
	if (json_integer_value(v) != FINGERPRINT_VERSION)
		return error("'%s': fingerprint version %lld is not supported (this perflab reads %d)",
			     name, (long long)json_integer_value(v), FINGERPRINT_VERSION);
	return 0;
}

int fingerprint_check(const json_t *fp, const char *name)
{
	const json_t *h;

	if (!json_is_object(fp))
		return error("'%s' is not a perflab fingerprint: a JSON %s, not an object",
			     name, type_name(fp));
	if (check_version(fp, name))
		return -1;
	h = json_object_get(fp, "sha256");
	if (h && !json_is_string(h))
		return bad(name, "sha256", h, "a string");
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		const json_t *v = json_object_get(fp, sections[i].name);

		if (v && !json_is_null(v) &&
		    sections[i].check(v, name, sections[i].name, sections[i].depth))
			return -1;
	}
	return 0;
}

json_t *fingerprint_parse(const char *text, size_t len, const char *name)
{
	json_error_t err;
	json_t *fp = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);

	if (!fp) {
		error("'%s' is not JSON: line %d, column %d: %s", name, err.line, err.column,
		      err.text);
		return NULL;
	}
	if (fingerprint_check(fp, name)) {
		json_decref(fp);
		return NULL;
	}
	return fp;
}

json_t *fingerprint_load(const char *path)
{
	char *file, *text;
	size_t len;
	json_t *fp = NULL;

	if (is_dir(path)) {
		file = xasprintf("%s/" FINGERPRINT_FILE, path);
		if (!path_exists(file)) {
			error("run directory '%s' has no " FINGERPRINT_FILE, path);
			free(file);
			return NULL;
		}
	} else {
		file = xstrdup(path);
	}
	text = read_file(file, FP_MAX_FILE, &len);
	if (!text)
		error_errno("cannot read fingerprint '%s'", file);
	else
		fp = fingerprint_parse(text, len, file);
	free(text);
	free(file);
	return fp;
}

/*
 * pmcstat and perf spellings of events, rewritten into libpfm4's.
 */
#include "collectors/pmcname.h"
#include "common/parse.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Names that differ between pmcstat (which follows Intel's event
 * documentation) and libpfm4. Dotted names not listed here map
 * mechanically: RESOURCE_STALLS.ANY is libpfm4's RESOURCE_STALLS:ANY.
 */
const struct pmcname_alias pmcname_aliases[] = {
	/* Sandy/Ivy Bridge call event 0xb1 UOPS_DISPATCHED; libpfm4 UOPS_EXECUTED */
	{ "UOPS_DISPATCHED.THREAD", "UOPS_EXECUTED:THREAD", "snb, ivb" },
	{ "UOPS_DISPATCHED.CORE", "UOPS_EXECUTED:CORE", "snb, ivb" },
	{ "UOPS_DISPATCHED.STALL_CYCLES", "UOPS_EXECUTED:STALL_CYCLES", "snb, ivb" },
	/* the fixed counters and the architectural events */
	{ "CPU_CLK_UNHALTED.THREAD", "UNHALTED_CORE_CYCLES", "Intel" },
	{ "CPU_CLK_UNHALTED.CORE", "UNHALTED_CORE_CYCLES", "Intel" },
	{ "CPU_CLK_UNHALTED.REF_TSC", "UNHALTED_REFERENCE_CYCLES", "Intel" },
	{ "CPU_CLK_UNHALTED.REF", "UNHALTED_REFERENCE_CYCLES", "Intel" },
	{ "INST_RETIRED.ANY", "INSTRUCTION_RETIRED", "Intel" },
	/*
	 * Not LAST_LEVEL_CACHE_MISSES, which libpfm4 prints as LLC_MISSES'
	 * full name: on snb that one encodes as L3_LAT_CACHE:MISS, 0x12e,
	 * while LLC_MISSES is the documented 0x412e.
	 */
	{ "LONGEST_LAT_CACHE.MISS", "LLC_MISSES", "Intel" },
	{ "LONGEST_LAT_CACHE.REFERENCE", "LLC_REFERENCES", "Intel" },
	{ "MEM_LOAD_UOPS_RETIRED.LLC_HIT", "MEM_LOAD_UOPS_RETIRED:L3_HIT", "snb, ivb" },
	{ "OFFCORE_REQUESTS_OUTSTANDING.CYCLES_WITH_DEMAND_DATA_RD",
	  "OFFCORE_REQUESTS_OUTSTANDING:DEMAND_DATA_RD_CYCLES", "snb, ivb, hsw" },
	/* pmcstat's portable aliases, as perf's generic events */
	{ "unhalted-cycles", "cycles", "any" },
	{ "unhalted-core-cycles", "cycles", "any" },
	{ "branch-mispredicts", "branch-misses", "any" },
	{ "llc-misses", "cache-misses", "any" },
	{ "llc-references", "cache-references", "any" },
	{ "dc-misses", "L1-DCACHE-LOAD-MISSES", "any" },
	{ "ic-misses", "L1-ICACHE-LOAD-MISSES", "any" },
	{ NULL, NULL, NULL }
};

/* Characters an event spec may hold in any of the spellings. */
static int spec_char(int c)
{
	return isalnum(c) || strchr("_.:=,+-", c);
}

static int check_spec(const char *spec)
{
	size_t len = strlen(spec);

	if (!len)
		return error("empty event name");
	if (len > PMCNAME_MAX)
		return error("event name '%.32s...' is longer than %d bytes", spec, PMCNAME_MAX);
	for (const char *p = spec; *p; p++)
		if (!spec_char((unsigned char)*p))
			return error("invalid character 0x%02x in event name '%.64s'",
				     (unsigned char)*p, spec);
	return 0;
}

/* Is word one of pmcstat's event modifiers? */
static int is_modifier(const char *w, size_t len)
{
	static const char *const flags[] = { "inv", "edge", "usr", "os", "anythread", "any", NULL };
	static const char *const valued[] = { "cmask=", "ldlat=", NULL };

	for (int i = 0; flags[i]; i++)
		if (len == strlen(flags[i]) && !strncasecmp(w, flags[i], len))
			return 1;
	for (int i = 0; valued[i]; i++)
		if (len > strlen(valued[i]) && !strncasecmp(w, valued[i], strlen(valued[i])))
			return 1;
	return 0;
}

/* A modifier's value: decimal or 0x hex, at most 255 (cmask) or 65535 (ldlat). */
static int modifier_value(const char *v, size_t len, long max, long *out)
{
	char buf[16], *end;

	if (!len || len >= sizeof(buf))
		return -1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	*out = strtol(buf, &end, 0);
	return *end || *out < 0 || *out > max || !isdigit((unsigned char)buf[0]) ? -1 : 0;
}

/* Append libpfm4's attribute for one modifier; usr/os are collected in *plm. */
static int add_modifier(const char *w, size_t len, struct strbuf *out, int *plm,
			const char *spec)
{
	long v;

	if (len == 3 && !strncasecmp(w, "inv", 3))
		strbuf_addstr(out, ":i=1");
	else if (len == 4 && !strncasecmp(w, "edge", 4))
		strbuf_addstr(out, ":e=1");
	else if (len == 3 && !strncasecmp(w, "usr", 3))
		*plm |= 1;
	else if (len == 2 && !strncasecmp(w, "os", 2))
		*plm |= 2;
	else if ((len == 3 && !strncasecmp(w, "any", 3)) ||
		 (len == 9 && !strncasecmp(w, "anythread", 9)))
		strbuf_addstr(out, ":t=1");
	else if (len > 6 && !strncasecmp(w, "cmask=", 6) && !modifier_value(w + 6, len - 6, 255, &v))
		strbuf_addf(out, ":c=%ld", v);
	else if (len > 6 && !strncasecmp(w, "ldlat=", 6) && !modifier_value(w + 6, len - 6, 65535, &v))
		strbuf_addf(out, ":ldlat=%ld", v);
	else
		return error("unknown or malformed modifier '%.*s' in event '%s'", (int)len, w, spec);
	return 0;
}

static const struct pmcname_alias *alias_find(const char *name, size_t len)
{
	for (const struct pmcname_alias *a = pmcname_aliases; a->pmcstat; a++)
		if (strlen(a->pmcstat) == len && !strncasecmp(a->pmcstat, name, len))
			return a;
	return NULL;
}

int pmcname_prefix(const char *spec, struct strbuf *out)
{
	const char *sep = strstr(spec, "::");

	if (!sep)
		return 0;
	strbuf_add(out, spec, (size_t)(sep - spec));
	return 1;
}

/*
 * The event part, "EVENT[.UMASK]" up to the first ':' attribute: write
 * its libpfm4 spelling. Returns 0, PERFLAB_ENOTFOUND (no alias), -1.
 */
static int translate_event(const char *ev, size_t len, int alias, struct strbuf *out,
			   const char *spec)
{
	const char *dot = memchr(ev, '.', len);
	const struct pmcname_alias *a;

	if (!len || (dot && (dot == ev || dot == ev + len - 1)))
		return error("malformed event name '%s': expected EVENT.UMASK or EVENT:UMASK", spec);
	if (alias) {
		a = alias_find(ev, len);
		if (!a)
			return PERFLAB_ENOTFOUND;
		strbuf_addstr(out, a->libpfm4);
		return 0;
	}
	if (!dot) {
		strbuf_add(out, ev, len);
		return 0;
	}
	strbuf_add(out, ev, (size_t)(dot - ev));
	strbuf_addch(out, ':');
	strbuf_add(out, dot + 1, len - (size_t)(dot - ev) - 1);
	return 0;
}

/* The ",modifier" words after the event, as libpfm4 attributes. */
static int translate_modifiers(const char *p, struct strbuf *out, const char *spec)
{
	int plm = 0;

	while (*p == ',') {
		const char *w = p + 1;
		size_t len = strcspn(w, ",");

		if (!len)
			return error("empty modifier in event '%s'", spec);
		if (add_modifier(w, len, out, &plm, spec))
			return -1;
		p = w + len;
	}
	if (plm)
		strbuf_addf(out, ":u=%d:k=%d", plm & 1, (plm & 2) >> 1);
	return 0;
}

int pmcname_translate(const char *spec, int alias, struct strbuf *out)
{
	const char *body = spec, *sep;
	size_t evlen, len0 = out->len;
	int ret;

	if (check_spec(spec))
		return -1;
	sep = strstr(spec, "::");
	if (sep) {
		if (sep == spec || strstr(sep + 2, "::"))
			return error("malformed PMU prefix in event '%s'", spec);
		body = sep + 2;
		strbuf_add(out, spec, (size_t)(body - spec));
	}
	evlen = strcspn(body, ":,");
	ret = translate_event(body, evlen, alias, out, spec);
	if (!ret && body[evlen] == ':') {
		size_t alen = strcspn(body + evlen, ",");

		strbuf_add(out, body + evlen, alen);
		evlen += alen;
	}
	if (!ret)
		ret = translate_modifiers(body + evlen, out, spec);
	if (ret)
		strbuf_setlen(out, len0);
	return ret;
}

/* "event" + "," + the modifier word; frees event. */
static char *glue(char *event, const char *w, size_t len)
{
	char *s = xasprintf("%s,%.*s", event, (int)len, w);

	free(event);
	return s;
}

int pmcname_split(const char *list, char ***out)
{
	char **v = xcalloc(PMCNAME_LIST_MAX + 1, sizeof(*v));
	const char *p = list, *why = NULL;
	int n = 0;

	*out = NULL;
	while (!why) {
		size_t len = strcspn(p, ",");

		if (!len)
			why = *list ? "an empty element" : "no events";
		else if (is_modifier(p, len) && !n)
			why = "a modifier with no event before it";
		else if (is_modifier(p, len))
			v[n - 1] = glue(v[n - 1], p, len);
		else if (n == PMCNAME_LIST_MAX)
			why = "too many events";
		else
			v[n++] = xstrndup(p, len);
		if (why || !p[len])
			break;
		p += len + 1;
	}
	if (why) {
		argv_free(v);
		return error("%s in event list '%.64s'", why, list);
	}
	*out = v;
	return n;
}

#include "collectors/netstat.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static const char *next_line(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl ? nl + 1 : p + strlen(p);
}

static int read_u64s(const char *p, const char *end, uint64_t *v, int max)
{
	int n = 0;

	while (p < end && n < max) {
		char *e;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end || *p == '\n' || *p == '\r')
			break;
		if (!isdigit((unsigned char)*p))
			return -1;
		errno = 0;
		v[n++] = strtoull(p, &e, 10);
		if (errno)
			return -1;
		p = e;
	}
	return n;
}

int netdev_parse(struct netdev_list *out, const char *text, const char *origin)
{
	size_t alloc = 0;
	int lineno = 0;

	memset(out, 0, sizeof(*out));
	for (const char *p = text; *p; p = next_line(p)) {
		const char *colon, *end = p + strcspn(p, "\n"), *name = p;
		uint64_t v[16];
		struct netdev *d;
		int n;

		lineno++;
		if (lineno <= 2)
			continue;	/* the two header lines */
		colon = memchr(p, ':', (size_t)(end - p));
		while (name < end && *name == ' ')
			name++;
		if (!colon || colon == name || (size_t)(colon - name) >= sizeof(d->name))
			goto bad;
		n = read_u64s(colon + 1, end, v, 16);
		if (n < 16)
			goto bad;
		ALLOC_GROW(out->v, out->nr + 1, alloc);
		d = &out->v[out->nr++];
		memset(d, 0, sizeof(*d));
		memcpy(d->name, name, (size_t)(colon - name));
		d->rx_bytes = v[0], d->rx_packets = v[1], d->rx_errs = v[2], d->rx_drop = v[3];
		d->tx_bytes = v[8], d->tx_packets = v[9], d->tx_errs = v[10], d->tx_drop = v[11];
		continue;
bad:
		netdev_list_release(out);
		return error("%s:%d: malformed interface line '%.*s'", origin, lineno,
			     (int)(end - p > 60 ? 60 : end - p), p);
	}
	if (lineno < 2)
		return error("%s: too short for /proc/net/dev", origin);
	return 0;
}

void netdev_list_release(struct netdev_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Split a line after "Proto:" into words; returns the count. */
static int words(const char *p, const char *end, const char **w, size_t *len, int max)
{
	int n = 0;

	while (p < end && n < max) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p >= end)
			break;
		w[n] = p;
		while (p < end && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		len[n] = (size_t)(p - w[n]);
		n++;
	}
	return n;
}

#define MAX_WORDS 512

static int snmp_pair(struct snmp_table *out, const char *h, const char *v,
		     const char *origin, int lineno)
{
	const char *hw[MAX_WORDS], *vw[MAX_WORDS];
	size_t hl[MAX_WORDS], vl[MAX_WORDS];
	const char *hc = strchr(h, ':'), *vc = strchr(v, ':');
	const char *he = h + strcspn(h, "\n"), *ve = v + strcspn(v, "\n");
	int nh, nv;

	if (!hc || !vc || hc > he || vc > ve || hc - h != vc - v || strncmp(h, v, (size_t)(hc - h)))
		return error("%s:%d: expected a header line and a value line of one protocol",
			     origin, lineno);
	nh = words(hc + 1, he, hw, hl, MAX_WORDS);
	nv = words(vc + 1, ve, vw, vl, MAX_WORDS);
	if (nh != nv)
		return error("%s:%d: %d names but %d values", origin, lineno + 1, nh, nv);
	for (int i = 0; i < nh; i++) {
		struct snmp_kv *kv;
		char num[32], *e;

		if (vl[i] >= sizeof(num) || (size_t)(hc - h) + 1 + hl[i] >= sizeof(kv->key))
			return error("%s:%d: field too long", origin, lineno);
		memcpy(num, vw[i], vl[i]);
		num[vl[i]] = '\0';
		ALLOC_GROW(out->v, out->nr + 1, out->alloc);
		kv = &out->v[out->nr];
		errno = 0;
		kv->value = strtoll(num, &e, 10);
		if (errno || *e || e == num)
			return error("%s:%d: '%s' is not a number", origin, lineno + 1, num);
		snprintf(kv->key, sizeof(kv->key), "%.*s.%.*s", (int)(hc - h), h,
			 (int)hl[i], hw[i]);
		out->nr++;
	}
	return 0;
}

int snmp_parse(struct snmp_table *out, const char *text, const char *origin)
{
	int lineno = 1;

	for (const char *p = text; *p; ) {
		const char *v = next_line(p);

		if (!*v)
			return error("%s:%d: header line without values", origin, lineno);
		if (snmp_pair(out, p, v, origin, lineno))
			return -1;
		p = next_line(v);
		lineno += 2;
	}
	return 0;
}

int64_t snmp_get(const struct snmp_table *t, const char *key)
{
	for (size_t i = 0; i < t->nr; i++)
		if (!strcmp(t->v[i].key, key))
			return t->v[i].value;
	return INT64_MIN;
}

void snmp_table_release(struct snmp_table *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

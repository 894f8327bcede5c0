/*
 * A run's TCP traces for people: connections and their flags, one
 * connection's timeline (see tconn.h).
 */
#include "reports/tconn.h"
#include "common/json.h"
#include "common/util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void add_host(struct tconn_run *r, const char *name, const char *path)
{
	struct tconn_host *h;

	if (access(path, F_OK))
		return;
	r->host = xrealloc(r->host, (r->nr + 1) * sizeof(*r->host));
	h = &r->host[r->nr++];
	memset(h, 0, sizeof(*h));
	h->name = xstrdup(name);
	h->path = xstrdup(path);
	h->ok = !tcprec_read(&h->f, path);
}

/* The hosts of run.json, each with its directory; else the run's own. */
static void find_traces(struct tconn_run *r, const json_t *meta)
{
	const json_t *hosts = json_object_get(meta, "hosts"), *h;
	size_t i;

	json_array_foreach(hosts, i, h) {
		const char *name = json_get_str(h, "name"), *sub = json_get_str(h, "dir");
		char *path;

		if (!name || !sub || strstr(sub, ".."))
			continue;
		path = xasprintf("%s/%s/tcptrace.ndjson", r->dir, sub);
		add_host(r, name, path);
		free(path);
	}
	if (!r->nr) {
		char *path = xasprintf("%s/tcptrace.ndjson", r->dir);

		add_host(r, "local", path);
		free(path);
	}
}

int tconn_run_load(struct tconn_run *out, const char *dir)
{
	struct stat sb;
	char *path;
	json_t *meta;

	memset(out, 0, sizeof(*out));
	tcpcheck_thresholds_init(&out->th);
	out->dir = xstrdup(dir);
	if (stat(dir, &sb))
		return error_errno("cannot open '%s'", dir);
	if (!S_ISDIR(sb.st_mode)) {	/* a trace file itself */
		add_host(out, "trace", dir);
		return 0;
	}
	path = xasprintf("%s/run.json", dir);
	meta = json_load_file(path, 0, NULL);
	free(path);
	if (json_get_str(meta, "run_params.checks") &&
	    tcpcheck_thresholds_parse(&out->th, json_get_str(meta, "run_params.checks")))
		warning("'%s': the run's checks are not valid: the defaults apply", dir);
	find_traces(out, meta);
	json_decref(meta);
	if (!out->nr)
		return error("'%s' has no TCP trace (record one with --collectors ...,tcptrace)",
			     dir);
	return 0;
}

void tconn_run_release(struct tconn_run *r)
{
	for (size_t i = 0; i < r->nr; i++) {
		free(r->host[i].name);
		free(r->host[i].path);
		if (r->host[i].ok)
			tcprec_file_release(&r->host[i].f);
	}
	free(r->host);
	free(r->dir);
	memset(r, 0, sizeof(*r));
}

static int parse_id(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > UINT32_MAX || *s == '-')
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int tconn_find(const struct tconn_run *r, const char *name, const struct tconn_host **host,
	       const struct tcprec_conn **conn)
{
	const char *colon = strrchr(name, ':');
	uint32_t id;

	*host = NULL;
	*conn = NULL;
	if (parse_id(colon ? colon + 1 : name, &id))
		return error("'%s' is not a connection: HOST:ID or ID (perflab trace RUN lists "
			     "them)", name);
	for (size_t i = 0; i < r->nr; i++) {
		const struct tconn_host *h = &r->host[i];

		if (colon && (strlen(h->name) != (size_t)(colon - name) ||
			      strncmp(h->name, name, (size_t)(colon - name))))
			continue;
		if (!colon && r->nr > 1)
			return error("'%s': the run has traces of %zu hosts: name one, HOST:%s",
				     name, r->nr, name);
		if (!h->ok)
			return error("the trace of host '%s' could not be read", h->name);
		*host = h;
		*conn = tcprec_file_conn(&h->f, id);
		if (!*conn)
			return error("no connection %u in the trace of host '%s'", id, h->name);
		return 0;
	}
	return error("no host '%.*s' with a trace in '%s'", (int)(colon - name), name, r->dir);
}

void tconn_flags(char *buf, size_t len, const struct tconn_run *r, const struct tconn_host *h,
		 const struct tcprec_conn *c)
{
	struct tcpcheck_conn_result res;
	size_t n = 0;

	buf[0] = '\0';
	tcpcheck_conn(&res, &h->f, c, &r->th);
	for (int k = 0; k < TCPCHECK_NRULES && n < len; k++)
		if (tcpcheck_flagged(&res, k, &r->th))
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "",
					      tcpcheck_rule_names[k]);
}

static void list_host(FILE *out, const struct tconn_run *r, const struct tconn_host *h)
{
	const struct tcprec_file *f = &h->f;

	fprintf(out, "host %s: %zu connection%s, source %s%s%s\n", h->name, f->nr_conn,
		f->nr_conn == 1 ? "" : "s", *f->source ? f->source : "?",
		f->truncated ? ", cut short (read up to the cut)" : "",
		!f->have_stats && !f->truncated ? ", no stats line (the recorder did not stop)"
		: "");
	if (f->have_stats && (f->stats.lost || f->stats.capped || f->stats.conns_over))
		fprintf(out, "  incomplete: %llu events lost, %llu records capped, %llu events "
			"of connections not followed\n", (unsigned long long)f->stats.lost,
			(unsigned long long)f->stats.capped,
			(unsigned long long)f->stats.conns_over);
	for (size_t i = 0; i < f->nr_conn; i++) {
		const struct tcprec_conn *c = &f->conn[i];
		char flags[256], a[80], b[80];

		tconn_flags(flags, sizeof(flags), r, h, c);
		snprintf(a, sizeof(a), c->family == 6 ? "[%s]:%u" : "%s:%u", c->laddr, c->lport);
		snprintf(b, sizeof(b), c->family == 6 ? "[%s]:%u" : "%s:%u", c->raddr, c->rport);
		fprintf(out, "  %s:%-5u %-21s -> %-21s %-6s %6zu rec  %s\n", h->name, c->id, a, b,
			*c->cc ? c->cc : "-", c->nr, *flags ? flags : "-");
	}
}

void tconn_list(FILE *out, const struct tconn_run *r)
{
	for (size_t i = 0; i < r->nr; i++) {
		if (r->host[i].ok)
			list_host(out, r, &r->host[i]);
		else
			fprintf(out, "host %s: the trace '%s' could not be read\n", r->host[i].name,
				r->host[i].path);
	}
}

/* The fields of one record into the running state s. */
static void row_update(struct tconn_row *s, const struct tcprec *rec, double *mss,
		       double *retrans_events)
{
	if (tcprec_has(rec, TF_MSS))
		*mss = (double)tcprec_get(rec, TF_MSS, 0);
	if (tcprec_has(rec, TF_CWND))
		s->cwnd = (double)tcprec_get(rec, TF_CWND, 0);
	if (tcprec_has(rec, TF_IN_FLIGHT))
		s->in_flight = (double)tcprec_get(rec, TF_IN_FLIGHT, 0);
	else if (rec->kind == TCPREC_PROBE && *mss > 0 && tcprec_has(rec, TF_SND_NXT))
		s->in_flight = (double)(uint32_t)(tcprec_get(rec, TF_SND_NXT, 0) -
						  tcprec_get(rec, TF_SND_UNA, 0)) / *mss;
	if (tcprec_has(rec, TF_SND_WND))
		s->snd_wnd = (double)tcprec_get(rec, TF_SND_WND, 0);
	if (tcprec_has(rec, TF_RCV_WND))
		s->rcv_wnd = (double)tcprec_get(rec, TF_RCV_WND, 0);
	if (tcprec_has(rec, TF_SRTT))
		s->srtt_ms = (double)tcprec_get(rec, TF_SRTT, 0) / 1000;
	if (rec->kind == TCPREC_RETRANS)
		(*retrans_events)++;
	if (tcprec_has(rec, TF_TOTAL_RETRANS))
		s->retrans = (double)tcprec_get(rec, TF_TOTAL_RETRANS, 0);
	else if (rec->kind == TCPREC_RETRANS)	/* between samples: a lower bound */
		s->retrans = fmax(isnan(s->retrans) ? 0 : s->retrans, *retrans_events);
}

size_t tconn_timeline(struct tconn_row **out, const struct tcprec_file *f,
		      const struct tcprec_conn *c)
{
	struct tconn_row s = { 0, NULL, NAN, NAN, NAN, NAN, NAN, NAN };
	struct tconn_row *rows = xcalloc(c->nr ? c->nr : 1, sizeof(*rows));
	double mss = 0, events = 0;

	for (size_t i = 0; i < c->nr; i++) {
		const struct tcprec *rec = &f->rec[c->first + i];

		row_update(&s, rec, &mss, &events);
		s.t = rec->t - c->t;
		s.what = tcprec_kind_names[rec->kind];
		rows[i] = s;
	}
	*out = rows;
	return c->nr;
}

static void put(FILE *out, double v, int width, int decimals)
{
	if (isnan(v))
		fprintf(out, " %*s", width, "-");
	else
		fprintf(out, " %*.*f", width, decimals, v);
}

void tconn_print(FILE *out, const struct tconn_run *r, const struct tconn_host *h,
		 const struct tcprec_conn *c)
{
	struct tconn_row *rows;
	size_t n = tconn_timeline(&rows, &h->f, c);
	char flags[256];

	tconn_flags(flags, sizeof(flags), r, h, c);
	fprintf(out, "connection %s:%u  %s:%u -> %s:%u  cc %s%s  flags: %s\n", h->name, c->id,
		c->laddr, c->lport, c->raddr, c->rport, *c->cc ? c->cc : "-",
		c->preexisting ? " (open before the trace)" : "", *flags ? flags : "none");
	fprintf(out, "%10s %-8s %8s %9s %10s %10s %8s %8s\n", "t_s", "what", "cwnd", "inflight",
		"snd_wnd", "rcv_wnd", "srtt_ms", "retrans");
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%10.4f %-8s", rows[i].t, rows[i].what);
		put(out, rows[i].cwnd, 8, 0);
		put(out, rows[i].in_flight, 9, 1);
		put(out, rows[i].snd_wnd, 10, 0);
		put(out, rows[i].rcv_wnd, 10, 0);
		put(out, rows[i].srtt_ms, 8, 2);
		put(out, rows[i].retrans, 8, 0);
		fputc('\n', out);
	}
	free(rows);
}

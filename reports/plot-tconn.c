/*
 * One TCP connection's timeline (reports/tconn.h) drawn: cwnd and what
 * was in flight, the windows, the RTT, with its retransmissions marked.
 */
#include "reports/plot.h"
#include "reports/tconn.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void num(struct strbuf *sb, double v)
{
	if (isnan(v))
		strbuf_addstr(sb, " NaN");
	else
		strbuf_addf(sb, " %.6g", v);
}

/* NAME-conn.dat: one line per record; NAME-retrans.dat: the resends. */
static int tconn_write(const struct plot_out *o, const struct tconn_row *rows, size_t n,
		       int *nretrans)
{
	struct strbuf d = STRBUF_INIT, x = STRBUF_INIT;
	char *p1 = xasprintf("%s/%s-conn.dat", o->dir, o->name);
	char *p2 = xasprintf("%s/%s-retrans.dat", o->dir, o->name);
	int ret;

	strbuf_addstr(&d, "# t_s cwnd_segs inflight_segs snd_wnd_KiB rcv_wnd_KiB srtt_ms "
		      "retrans_segs (NaN: not known yet)\n");
	strbuf_addstr(&x, "# t_s retrans_segs: a tcp_retransmit_skb event\n");
	*nretrans = 0;
	for (size_t i = 0; i < n; i++) {
		const struct tconn_row *r = &rows[i];

		strbuf_addf(&d, "%.6f", r->t);
		num(&d, r->cwnd);
		num(&d, r->in_flight);
		num(&d, r->snd_wnd / 1024);
		num(&d, r->rcv_wnd / 1024);
		num(&d, r->srtt_ms);
		num(&d, r->retrans);
		strbuf_addch(&d, '\n');
		if (!strcmp(r->what, "retrans")) {
			strbuf_addf(&x, "%.6f", r->t);
			num(&x, r->retrans);
			strbuf_addch(&x, '\n');
			(*nretrans)++;
		}
	}
	ret = write_file_atomic(p1, d.buf, d.len, 0);
	if (!ret)
		ret = write_file_atomic(p2, x.buf, x.len, 0);
	free(p1);
	free(p2);
	strbuf_release(&d);
	strbuf_release(&x);
	return ret;
}

static void file_arg(struct strbuf *b, const struct plot_out *o, const char *suffix)
{
	char *f = xasprintf("%s%s", o->name, suffix);

	plot_quote(b, f);
	free(f);
}

/* Three panels sharing the time axis. */
static void tconn_script(struct strbuf *b, const struct plot_out *o, const char *title,
			 int nretrans)
{
	strbuf_addstr(b, "set multiplot layout 3,1 title ");
	plot_quote(b, title);
	strbuf_addstr(b, " font 'sans,12'\nset grid lc rgb '#dddddd'\n"
		      "set key top left opaque font 'sans,9'\nset offsets 0, 0, graph 0.08, 0\nset lmargin 10\nset rmargin 4\n"
		      "set format x ''\nset ylabel 'segments'\nplot ");
	file_arg(b, o, "-conn.dat");
	strbuf_addstr(b, " using 1:2 with steps lw 1.5 lc rgb '#1f5fa8' title 'cwnd', '' using "
		      "1:3 with steps lc rgb '#2e8b3a' title 'in flight'");
	if (nretrans) {
		strbuf_addstr(b, ", ");
		file_arg(b, o, "-retrans.dat");
		strbuf_addstr(b, " using 1:(0) with points pt 9 ps 1.2 lc rgb '#c8322d' "
			      "title 'retransmit'");
	}
	strbuf_addstr(b, "\nset ylabel 'window (KiB)'\nplot ");
	file_arg(b, o, "-conn.dat");
	strbuf_addstr(b, " using 1:4 with steps lc rgb '#7a4ea3' title 'peer window, snd_wnd',"
		      " '' using 1:5 with steps lc rgb '#e08a00' title 'our window, rcv_wnd'\n"
		      "set format x '%g'\nset xlabel 'seconds since the connection was seen'\n"
		      "set ylabel 'ms'\nset y2label 'retransmitted'\nset y2tics\nset ytics nomirror\n"
		      "plot ");
	file_arg(b, o, "-conn.dat");
	strbuf_addstr(b, " using 1:6 with steps lc rgb '#5a5a5a' title 'srtt', '' using 1:7 axes "
		      "x1y2 with steps lc rgb '#c8322d' title 'retransmitted segments'\n"
		      "unset multiplot\n");
}

int plot_tconn(const struct plot_out *o, const struct tconn_run *r,
	       const struct tconn_host *h, const struct tcprec_conn *c)
{
	struct tconn_row *rows;
	size_t n = tconn_timeline(&rows, &h->f, c);
	struct strbuf b = STRBUF_INIT;
	char flags[256], *title;
	int ret, nretrans = 0;

	if (!n) {
		free(rows);
		return error("connection %s:%u has no records to draw", h->name, c->id);
	}
	tconn_flags(flags, sizeof(flags), r, h, c);
	title = xasprintf("%s:%u  %s:%u -> %s:%u  %s  flags: %s", h->name, c->id, c->laddr,
			  c->lport, c->raddr, c->rport, *c->cc ? c->cc : "", *flags ? flags : "none");
	ret = mkdir_p(o->dir);
	if (!ret)
		ret = tconn_write(o, rows, n, &nretrans);
	if (!ret) {
		tconn_script(&b, o, title, nretrans);
		ret = plot_render(o, b.buf, 1000, 800);
	}
	strbuf_release(&b);
	free(title);
	free(rows);
	return ret;
}

/*
 * The TCP blackbox: the trace format and its reader, tracefs formats,
 * inet_diag messages, the sanity checks on synthetic traces, and the
 * recorder against the real kernel (root: loopback connections, and a
 * pair of network namespaces "tt-a-PID"/"tt-b-PID" joined by a veth with
 * tc rate limits).
 */
#include "tests/unit/test.h"
#include "collectors/netstat.h"
#include "collectors/tcpcheck.h"
#include "collectors/tcpdiag.h"
#include "collectors/tcpperf.h"
#include "collectors/tcprec.h"
#include "collectors/tcptp.h"
#include "collectors/tcptrace.h"
#include "common/json.h"
#include "common/spawn.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the trace format ---- */

TEST(tcprec, format_round_trip)
{
	struct tcprec_conn c = { .id = 7, .cookie = 4242, .family = 4, .lport = 5201,
				 .rport = 40000, .t = 12.5, .preexisting = 1 };
	int64_t v[TCPREC_NFIELDS] = { 0 };
	struct strbuf sb = STRBUF_INIT;
	struct tcprec_file f;
	char buf[TCPREC_LINE_MAX];
	const struct tcprec *r;

	strcpy(c.laddr, "127.0.0.1");
	strcpy(c.raddr, "10.0.0.\"2");	/* not an address: made safe */
	strcpy(c.owner, "diag");
	strcpy(c.cc, "cubic");
	v[TF_CWND] = 10;
	v[TF_SND_NXT] = 4294967295LL;
	v[TF_ERR] = -11;
	strbuf_addstr(&sb, "{\"type\":\"info\",\"source\":\"tracepoints\",\"interval_s\":0.1,"
			   "\"tracepoints\":[\"tcp_probe\",\"tcp_send_reset\"]}\n");
	strbuf_add(&sb, buf, tcprec_format_conn(buf, &c));
	strbuf_add(&sb, buf, tcprec_format(buf, TCPREC_PROBE, 7, 13000000001ULL,
					   1 << TF_CWND | 1 << TF_SND_NXT, v));
	strbuf_add(&sb, buf, tcprec_format(buf, TCPREC_RETRANS, 7, 12999999999ULL, 1 << TF_ERR, v));
	CHECK_CONTAINS(sb.buf, "\"t\":13.000000001,\"snd_nxt\":4294967295,\"cwnd\":10}");
	REQUIRE(!tcprec_parse(&f, sb.buf, sb.len, "mem"));
	CHECK_INT(f.nr_conn, 1);
	CHECK_INT(f.conn[0].cookie, 4242);
	CHECK_INT(f.conn[0].preexisting, 1);
	CHECK_STR(f.conn[0].raddr, "10.0.0.?2");
	CHECK_STR(f.conn[0].cc, "cubic");
	CHECK_STR(f.source, "tracepoints");
	CHECK_INT(f.traced, 1 << TCPREC_PROBE | 1 << TCPREC_RST_TX | 1 << TCPREC_SAMPLE |
			    1 << TCPREC_END);
	REQUIRE(f.nr_rec == 2);
	r = &f.rec[0];		/* sorted by time within the connection */
	CHECK_INT(r->kind, TCPREC_RETRANS);
	CHECK_INT(tcprec_get(r, TF_ERR, 0), -11);
	r = &f.rec[1];
	CHECK_NEAR(r->t, 13.000000001, 1e-9);
	CHECK_INT(tcprec_get(r, TF_SND_NXT, 0), 4294967295LL);
	CHECK_INT(tcprec_get(r, TF_CWND, 0), 10);
	CHECK_INT(tcprec_get(r, TF_SRTT, -1), -1);
	CHECK(!f.truncated);
	tcprec_file_release(&f);
	strbuf_release(&sb);
}

static const char *trace_text =
	"{\"type\":\"info\",\"source\":\"diag\"}\n"
	"{\"type\":\"conn\",\"id\":2,\"t\":1,\"cookie\":9,\"laddr\":\"::1\",\"lport\":1,\"rport\":2}\n"
	"{\"type\":\"sample\",\"id\":2,\"t\":1.5,\"cwnd\":10,\"mss\":1448}\n"
	"{\"type\":\"future-kind\",\"id\":2}\n"
	"{\"type\":\"probe\",\"id\":3,\"t\":1.6}\n"
	"{\"type\":\"cap\",\"id\":2,\"t\":1.7}\n"
	"{\"type\":\"lost\",\"t\":1.8,\"lost\":5}\n"
	"{\"type\":\"sample\",\"id\":2,\"t\":2.5,\"cwnd\":12,\"mss\":1448}\n";

TEST(tcprec, cut_anywhere_reads_up_to_the_cut)
{
	size_t len = strlen(trace_text);

	for (size_t cut = 0; cut <= len; cut++) {
		struct tcprec_file f;
		int ret = tcprec_parse(&f, trace_text, cut, "cut");
		size_t whole = 0;

		CHECK_INT(ret, 0);
		for (size_t i = 0; i < cut; i++)
			whole += trace_text[i] == '\n';
		/* a cut line is dropped unless it was complete but for its newline */
		CHECK(f.truncated || cut == 0 || cut == len || trace_text[cut - 1] == '\n' ||
		      trace_text[cut] == '\n');
		if (cut == len) {
			CHECK_INT(f.nr_conn, 1);
			CHECK_INT(f.nr_rec, 2);
			CHECK_INT(f.skipped, 2);	/* the unknown kind, the conn-less probe */
			CHECK(f.conn[0].capped);
			CHECK_INT(f.stats.lost, 5);
		}
		CHECK(f.lines <= whole + 1);
		tcprec_file_release(&f);
	}
}

TEST(tcprec, bad_lines_name_file_and_line)
{
	static const char *bad[] = {
		"{\"type\":\"conn\",\"id\":1}\nnot json\n{}\n",
		"{\"type\":\"conn\",\"id\":1}\n{\"id\":1}\n",
		"{\"type\":\"conn\",\"id\":-1}\n",
		"{\"type\":\"conn\",\"id\":1}\n{\"type\":\"probe\",\"id\":1,\"t\":\"x\"}\n",
		"{\"type\":\"conn\",\"id\":1}\n{\"type\":\"probe\",\"id\":1,\"t\":1,\"cwnd\":1.5}\n",
		"[1,2]\n{}\n",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct tcprec_file f;

		test_capture_start();
		CHECK_INT(tcprec_parse(&f, bad[i], strlen(bad[i]), "t.ndjson"), -1);
		CHECK_CONTAINS(test_captured(), "t.ndjson:");
		test_capture_end();
		CHECK_INT(f.nr_rec, 0);
	}
}

TEST(tcprec, read_a_file)
{
	struct tcprec_file f;
	const char *path = test_write("t.ndjson", trace_text);

	REQUIRE(!tcprec_read(&f, path));
	CHECK_INT(f.nr_rec, 2);
	CHECK_STR(f.source, "diag");
	CHECK_INT(f.traced, 1 << TCPREC_SAMPLE | 1 << TCPREC_END);
	CHECK(tcprec_file_conn(&f, 2) != NULL);
	CHECK(tcprec_file_conn(&f, 3) == NULL);
	tcprec_file_release(&f);
	test_capture_start();
	CHECK_INT(tcprec_read(&f, "/nonexistent/t.ndjson"), -1);
	CHECK_CONTAINS(test_captured(), "/nonexistent/t.ndjson");
	test_capture_end();
}

/* ---- tracefs formats ---- */

static const char *probe_format =
	"name: tcp_probe\n"
	"ID: 2273\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:__u8 saddr[28];\toffset:8;\tsize:28;\tsigned:0;\n"
	"\tfield:__u8 daddr[28];\toffset:36;\tsize:28;\tsigned:0;\n"
	"\tfield:__u16 sport;\toffset:64;\tsize:2;\tsigned:0;\n"
	"\tfield:__u16 dport;\toffset:66;\tsize:2;\tsigned:0;\n"
	"\tfield:__u16 family;\toffset:68;\tsize:2;\tsigned:0;\n"
	"\tfield:__u16 data_len;\toffset:76;\tsize:2;\tsigned:0;\n"
	"\tfield:__u32 snd_nxt;\toffset:80;\tsize:4;\tsigned:0;\n"
	"\tfield:__u32 snd_una;\toffset:84;\tsize:4;\tsigned:0;\n"
	"\tfield:__u32 snd_cwnd;\toffset:88;\tsize:4;\tsigned:0;\n"
	"\tfield:__u32 srtt;\toffset:100;\tsize:4;\tsigned:0;\n"
	"\tfield:__u64 sock_cookie;\toffset:112;\tsize:8;\tsigned:0;\n"
	"\tfield:const void * skaddr;\toffset:128;\tsize:8;\tsigned:0;\n"
	"\n"
	"print fmt: \"family=%s src=%pISpc\", REC->family\n";

TEST(tcptp, format_fields)
{
	struct tp_format f;
	const struct tp_field *x;

	REQUIRE(!tp_format_parse(&f, probe_format, "format"));
	CHECK_STR(f.name, "tcp_probe");
	CHECK_INT(f.id, 2273);
	CHECK_INT(f.nr, 14);
	x = tp_format_field(&f, "saddr");
	REQUIRE(x);
	CHECK_INT(x->offset, 8);
	CHECK_INT(x->size, 28);
	CHECK(x->is_array);
	x = tp_format_field(&f, "skaddr");
	REQUIRE(x);
	CHECK_INT(x->offset, 128);
	CHECK(tp_format_field(&f, "common_pid")->is_signed);
	CHECK(!tp_format_field(&f, "nope"));
	tp_format_release(&f);
	REQUIRE(!tp_format_parse(&f, "name: tcp_send_reset\nprint fmt: \"reason=%s\", "
				 "__print_symbolic(REC->reason, { 0, \"NOT_SPECIFIED\" }, "
				 "{ 1, \"NO_SOCKET\" }, { 3, \"X\" }, { 99, \"FAR\" }), REC->state\n",
				 "format"));
	{
		char *names[4];

		CHECK_INT(tp_format_symbols(&f, "reason", names, 4), 3);
		CHECK_STR(names[1], "NO_SOCKET");
		CHECK(names[2] == NULL);
		CHECK_STR(names[3], "X");
		for (int i = 0; i < 4; i++)
			free(names[i]);
		CHECK_INT(tp_format_symbols(&f, "state", names, 4), 0);
	}
	tp_format_release(&f);
	test_capture_start();
	CHECK_INT(tp_format_parse(&f, "ID: 1\n\tfield:int;\toffset:0;\tsize:4;\tsigned:1;\n",
				  "bad"), -1);
	CHECK_INT(tp_format_parse(&f, "\tfield:int x;\toffset:99999999;\tsize:4;\tsigned:1;\n",
				  "bad"), -1);
	CHECK_INT(tp_format_parse(&f, "\tfield:int x;\toffset:0;\tsize:4;\n", "bad"), -1);
	CHECK_CONTAINS(test_captured(), "bad:1:");
	test_capture_end();
}

TEST(tcptp, integers_in_range_and_sign)
{
	struct tp_field f8 = { "a", 0, 1, 1, 0 }, f16 = { "b", 2, 2, 0, 0 };
	struct tp_field f32 = { "c", 4, 4, 1, 0 }, f64 = { "d", 8, 8, 0, 0 };
	struct tp_field past = { "e", 14, 4, 0, 0 }, odd = { "f", 0, 3, 0, 0 };
	unsigned char raw[16] = { 0xff, 0, 0x34, 0x12, 0xfe, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 0, 0, 0x80 };
	uint64_t u;
	int64_t i;

	CHECK(!tp_get_i64(&f8, raw, sizeof(raw), &i) && i == -1);
	CHECK(!tp_get_u64(&f8, raw, sizeof(raw), &u) && u == 0xff);
	CHECK(!tp_get_u64(&f16, raw, sizeof(raw), &u) && u == 0x1234);
	CHECK(!tp_get_i64(&f32, raw, sizeof(raw), &i) && i == -2);
	CHECK(!tp_get_u64(&f64, raw, sizeof(raw), &u) && u == 0x8000000000000001ULL);
	CHECK(tp_get_u64(&past, raw, sizeof(raw), &u));
	CHECK(tp_get_u64(&odd, raw, sizeof(raw), &u));
	CHECK(tp_get_u64(NULL, raw, sizeof(raw), &u));
	CHECK(!tp_get_bytes(&past, raw, sizeof(raw)));
}

TEST(tcpperf, decode_a_probe)
{
	struct tp_format f;
	struct tcpperf_def *d;
	struct tcpperf_ev ev;
	unsigned char raw[136] = { 0 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(5201) };
	uint32_t v32;
	uint16_t v16;
	uint64_t v64;
	char a[46];

	REQUIRE(!tp_format_parse(&f, probe_format, "format"));
	d = tcpperf_def_new("tcp_probe", &f);
	tp_format_release(&f);
	REQUIRE(d);
	inet_pton(AF_INET, "10.1.2.3", &sa.sin_addr);
	memcpy(raw + 8, &sa, sizeof(sa));
	sa.sin_port = htons(40000);
	inet_pton(AF_INET, "10.9.9.9", &sa.sin_addr);
	memcpy(raw + 36, &sa, sizeof(sa));
	v16 = 5201, memcpy(raw + 64, &v16, 2);
	v16 = 40000, memcpy(raw + 66, &v16, 2);
	v16 = AF_INET, memcpy(raw + 68, &v16, 2);
	v32 = 1000, memcpy(raw + 80, &v32, 4);
	v32 = 10, memcpy(raw + 88, &v32, 4);
	v32 = 250, memcpy(raw + 100, &v32, 4);
	v64 = 77, memcpy(raw + 112, &v64, 8);
	v64 = 0xffff888000001000ULL, memcpy(raw + 128, &v64, 8);
	REQUIRE(!tcpperf_def_decode(d, raw, sizeof(raw), 5, &ev));
	CHECK_INT(ev.kind, TCPREC_PROBE);
	CHECK_INT(ev.cookie, 77);
	CHECK_INT(ev.skaddr, 0xffff888000001000ULL);
	CHECK_INT(ev.lport, 5201);
	CHECK_INT(ev.rport, 40000);
	CHECK_STR(tcpdiag_addr_str(&ev.laddr, a), "10.1.2.3");
	CHECK_STR(tcpdiag_addr_str(&ev.raddr, a), "10.9.9.9");
	CHECK_INT(ev.v[TF_SND_NXT], 1000);
	CHECK_INT(ev.v[TF_CWND], 10);
	CHECK_INT(ev.v[TF_SRTT], 250);
	CHECK(!(ev.have & (1 << TF_SSTHRESH)));	/* not in this (cut) format */
	/* a record cut short decodes what it holds, nothing past its end */
	REQUIRE(!tcpperf_def_decode(d, raw, 90, 5, &ev));
	CHECK(ev.have & (1 << TF_SND_NXT));
	CHECK(!(ev.have & (1 << TF_SRTT)));
	CHECK_INT(ev.cookie, 0);
	tcpperf_def_free(d);
}

/* ---- inet_diag messages ---- */

/* One SOCK_DIAG_BY_FAMILY message with a tcp_info of info_len bytes. */
static size_t diag_msg(unsigned char *buf, size_t info_len, uint32_t snd_cwnd)
{
	struct nlmsghdr h = { .nlmsg_type = SOCK_DIAG_BY_FAMILY };
	struct inet_diag_msg m = { .idiag_family = AF_INET, .idiag_state = 1 };
	struct nlattr a = { .nla_type = INET_DIAG_INFO };
	struct tcp_info ti = { .tcpi_snd_cwnd = snd_cwnd, .tcpi_snd_mss = 1448,
			       .tcpi_unacked = 5, .tcpi_sacked = 1, .tcpi_total_retrans = 3 };
	size_t off = NLMSG_HDRLEN;

	m.id.idiag_sport = htons(5201);
	m.id.idiag_dport = htons(40000);
	m.id.idiag_src[0] = htonl(0x7f000001);
	m.id.idiag_cookie[0] = 99;
	m.id.idiag_cookie[1] = 1;
	m.idiag_rqueue = 17;
	memset(buf, 0, 1024);
	memcpy(buf + off, &m, sizeof(m));
	off += NLMSG_ALIGN(sizeof(m));
	a.nla_len = (uint16_t)(NLA_HDRLEN + info_len);
	memcpy(buf + off, &a, sizeof(a));
	/* glibc's struct tcp_info is the old prefix of the kernel's 232+ bytes */
	memcpy(buf + off + NLA_HDRLEN, &ti, info_len < sizeof(ti) ? info_len : sizeof(ti));
	off += NLA_ALIGN(a.nla_len);
	h.nlmsg_len = (uint32_t)off;
	memcpy(buf, &h, sizeof(h));
	return off;
}

struct got {
	int n;
	struct tcpdiag_sock s;
};

static void got_sock(const struct tcpdiag_sock *s, void *data)
{
	struct got *g = data;

	g->n++;
	g->s = *s;
}

TEST(tcpdiag, parse_messages)
{
	unsigned char buf[2048];
	struct nlmsghdr done = { .nlmsg_len = NLMSG_HDRLEN + 4, .nlmsg_type = NLMSG_DONE };
	struct got g = { 0 };
	size_t n = diag_msg(buf, 232, 10);	/* a 6.1 kernel's */

	memcpy(buf + n, &done, sizeof(done));
	CHECK_INT(tcpdiag_parse(buf, n + done.nlmsg_len, got_sock, &g), 1);
	CHECK_INT(g.n, 1);
	CHECK_INT(g.s.cookie, (1ULL << 32) | 99);
	CHECK_INT(g.s.lport, 5201);
	CHECK_INT(g.s.vals[TF_CWND], 10);
	CHECK_INT(g.s.vals[TF_IN_FLIGHT], 4);
	CHECK_INT(g.s.vals[TF_TOTAL_RETRANS], 3);
	CHECK_INT(g.s.vals[TF_RQUEUE], 17);
	CHECK(g.s.have & (1ULL << TF_SND_WND));
	CHECK(!(g.s.have & (1ULL << TF_TOTAL_RTO)));	/* a 6.1-sized tcp_info */
	/* an old kernel's short tcp_info: the fields it has, no more */
	g.n = 0;
	n = diag_msg(buf, 104, 11);
	CHECK_INT(tcpdiag_parse(buf, n, got_sock, &g), 0);
	CHECK_INT(g.n, 1);
	CHECK_INT(g.s.vals[TF_CWND], 11);
	CHECK(!(g.s.have & (1ULL << TF_BYTES_ACKED)));
	/* lengths that lie */
	n = diag_msg(buf, 104, 11);
	buf[0] = 0xff;
	CHECK_INT(tcpdiag_parse(buf, n, got_sock, &g), -1);
	n = diag_msg(buf, 104, 11);
	buf[NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct inet_diag_msg))] = 0xf0;
	g.n = 0;
	CHECK_INT(tcpdiag_parse(buf, n, got_sock, &g), 0);
	CHECK_INT(g.n, 0);
}

/* ---- the checks, on synthetic traces ---- */

/* An info line naming which tracepoints "were" there, and connection 1. */
static void syn_begin(struct strbuf *sb, const char *tracepoints, const char *cc, int pre)
{
	strbuf_reset(sb);
	if (tracepoints)
		strbuf_addf(sb, "{\"type\":\"info\",\"source\":\"tracepoints\",\"tracepoints\":[%s]}\n",
			    tracepoints);
	else
		strbuf_addstr(sb, "{\"type\":\"info\",\"source\":\"diag\"}\n");
	strbuf_addf(sb, "{\"type\":\"conn\",\"id\":1,\"t\":0,\"cc\":\"%s\",\"preexisting\":%s}\n",
		    cc, pre ? "true" : "false");
}

static void syn(struct strbuf *sb, const char *kind, double t, const char *fmt, ...)
	PRINTF(4, 5);

static void syn(struct strbuf *sb, const char *kind, double t, const char *fmt, ...)
{
	va_list ap;

	strbuf_addf(sb, "{\"type\":\"%s\",\"id\":1,\"t\":%.6f", kind, t);
	if (fmt && *fmt) {
		strbuf_addch(sb, ',');
		va_start(ap, fmt);
		strbuf_vaddf(sb, fmt, ap);
		va_end(ap);
	}
	strbuf_addstr(sb, "}\n");
}

#define ALL_TP "\"tcp_probe\",\"tcp_retransmit_skb\",\"tcp_send_reset\",\"tcp_receive_reset\"," \
	       "\"tcp_cong_state_set\""

/* The rules over connection 1 of a synthetic trace. */
static struct tcpcheck_conn_result check1(const struct strbuf *sb,
					  const struct tcpcheck_thresholds *th)
{
	struct tcpcheck_thresholds def;
	struct tcpcheck_conn_result r;
	struct tcprec_file f;

	tcpcheck_thresholds_init(&def);
	memset(&r, 0, sizeof(r));
	if (tcprec_parse(&f, sb->buf, sb->len, "synthetic") || f.nr_conn != 1) {
		test_fail(__FILE__, __LINE__, "synthetic trace does not parse");
		return r;
	}
	tcpcheck_conn(&r, &f, &f.conn[0], th ? th : &def);
	tcprec_file_release(&f);
	return r;
}

/* A sender's probes: snd_nxt advancing by step, flight bytes outstanding. */
static void probes(struct strbuf *sb, double t0, int n, uint32_t nxt0, uint32_t step,
		   uint32_t flight, int cwnd, uint32_t wnd)
{
	for (int i = 0; i < n; i++) {
		uint32_t nxt = nxt0 + (uint32_t)i * step;

		syn(sb, "probe", t0 + i * 0.001, "\"snd_nxt\":%u,\"snd_una\":%u,\"cwnd\":%d,"
		    "\"snd_wnd\":%u,\"srtt_us\":1000", nxt, nxt - flight, cwnd, wnd);
	}
}

TEST(tcpcheck, clean_sender_flags_nothing)
{
	struct strbuf sb = STRBUF_INIT;
	struct tcpcheck_conn_result r;

	syn_begin(&sb, ALL_TP, "cubic", 0);
	syn(&sb, "sample", 0.05, "\"mss\":1000,\"cwnd\":10,\"state\":1,\"ca_state\":0");
	probes(&sb, 0.1, 50, 4294900000u, 1000, 10000, 10, 65535);	/* wraps */
	r = check1(&sb, NULL);
	for (int k = 0; k < TCPCHECK_NRULES; k++)
		CHECK_INT(r.count[k], 0);
	CHECK(r.avail[TCPCHECK_OVER_CWND] && r.avail[TCPCHECK_RESET] && r.avail[TCPCHECK_RTO_STORM]);
	strbuf_release(&sb);
}

TEST(tcpcheck, over_cwnd)
{
	struct strbuf sb = STRBUF_INIT;
	struct tcpcheck_thresholds th;

	syn_begin(&sb, ALL_TP, "cubic", 0);
	syn(&sb, "sample", 0.05, "\"mss\":1000");
	probes(&sb, 0.1, 3, 100000, 1000, 11000, 10, 1 << 20);	/* cwnd + 1: the slack */
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_OVER_CWND], 0);
	probes(&sb, 0.2, 3, 200000, 1000, 11001, 10, 1 << 20);	/* a byte more */
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_OVER_CWND], 3);
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_OVER_RWND], 0);
	tcpcheck_thresholds_init(&th);
	th.over_cwnd_slack = 2;
	CHECK_INT(check1(&sb, &th).count[TCPCHECK_OVER_CWND], 0);

	/* nothing sent since the previous snapshot: cwnd fell under the flight */
	syn_begin(&sb, ALL_TP, "bbr", 0);
	syn(&sb, "sample", 0.05, "\"mss\":1000");
	probes(&sb, 0.1, 1, 100000, 0, 4000, 10, 1 << 20);
	probes(&sb, 0.2, 5, 100000, 0, 9000, 4, 1 << 20);
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_OVER_CWND], 0);

	/* in recovery the flight counts SACKed and lost segments: not checked */
	syn_begin(&sb, ALL_TP, "cubic", 0);
	syn(&sb, "sample", 0.05, "\"mss\":1000");
	syn(&sb, "ca", 0.09, "\"ca_state\":3");
	probes(&sb, 0.1, 4, 100000, 1000, 20000, 5, 1 << 20);
	syn(&sb, "ca", 0.2, "\"ca_state\":0");
	probes(&sb, 0.3, 4, 200000, 1000, 20000, 5, 1 << 20);
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_OVER_CWND], 3);

	/* without tcp_cong_state_set: a retransmission stands for recovery */
	syn_begin(&sb, "\"tcp_probe\",\"tcp_retransmit_skb\"", "cubic", 0);
	syn(&sb, "sample", 0.05, "\"mss\":1000,\"ca_state\":0");
	syn(&sb, "retrans", 0.09, "\"err\":0");
	probes(&sb, 0.1, 4, 100000, 1000, 20000, 5, 1 << 20);
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_OVER_CWND], 0);
	syn(&sb, "sample", 0.15, "\"mss\":1000,\"ca_state\":0");
	probes(&sb, 0.2, 4, 200000, 1000, 20000, 5, 1 << 20);
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_OVER_CWND], 3);

	/* after a gap (tcp_probe was off) the first probe has no predecessor */
	syn_begin(&sb, ALL_TP, "cubic", 0);
	syn(&sb, "sample", 0.05, "\"mss\":1000");
	probes(&sb, 0.1, 1, 100000, 0, 4000, 10, 1 << 20);
	syn(&sb, "probe", 0.2, "\"snd_nxt\":200000,\"snd_una\":180000,\"cwnd\":10,"
	    "\"snd_wnd\":1048576,\"gap\":1");
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_OVER_CWND], 0);
	syn(&sb, "probe", 0.21, "\"snd_nxt\":201000,\"snd_una\":180000,\"cwnd\":10,"
	    "\"snd_wnd\":1048576");
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_OVER_CWND], 1);

	/* no MSS known: cannot say */
	syn_begin(&sb, ALL_TP, "cubic", 0);
	probes(&sb, 0.1, 4, 100000, 1000, 20000, 5, 1 << 20);
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_OVER_CWND], 0);
	strbuf_release(&sb);
}

TEST(tcpcheck, over_rwnd)
{
	struct strbuf sb = STRBUF_INIT;

	syn_begin(&sb, ALL_TP, "cubic", 0);
	probes(&sb, 0.1, 3, 100000, 1000, 65535, 100, 65535);
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_OVER_RWND], 0);
	probes(&sb, 0.2, 3, 200000, 1000, 65536, 100, 65535);
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_OVER_RWND], 3);
	/* the window shrank under data already sent: not the sender's doing */
	syn_begin(&sb, ALL_TP, "cubic", 0);
	probes(&sb, 0.1, 1, 100000, 1000, 60000, 100, 65535);
	probes(&sb, 0.2, 3, 100000, 0, 60000, 100, 30000);
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_OVER_RWND], 0);
	strbuf_release(&sb);
}

static void diag_samples(struct strbuf *sb, int n, int in_flight, int cwnd, int ca)
{
	for (int i = 0; i < n; i++)
		syn(sb, "sample", 0.1 * (i + 1), "\"bytes_sent\":%d,\"bytes_retrans\":0,"
		    "\"bytes_acked\":%d,\"snd_wnd\":100000,\"in_flight\":%d,\"cwnd\":%d,"
		    "\"ca_state\":%d,\"mss\":1000", 10000 * (i + 1), 10000 * (i + 1) - 5000,
		    in_flight, cwnd, ca);
}

TEST(tcpcheck, diag_only_flight)
{
	struct strbuf sb = STRBUF_INIT;
	struct tcpcheck_conn_result r;

	syn_begin(&sb, NULL, "cubic", 0);
	diag_samples(&sb, 4, 12, 10, 0);
	r = check1(&sb, NULL);
	CHECK_INT(r.count[TCPCHECK_OVER_CWND], 3);	/* the first has no predecessor */
	CHECK(!r.avail[TCPCHECK_RESET]);
	syn_begin(&sb, NULL, "bbr", 0);			/* PROBE_RTT: not judged */
	diag_samples(&sb, 4, 12, 10, 0);
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_OVER_CWND], 0);
	syn_begin(&sb, NULL, "cubic", 0);
	diag_samples(&sb, 4, 12, 10, 3);		/* recovery */
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_OVER_CWND], 0);
	syn_begin(&sb, NULL, "cubic", 0);
	diag_samples(&sb, 4, 11, 10, 0);		/* within the slack */
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_OVER_CWND], 0);
	strbuf_release(&sb);
}

/* A sender's samples every 100 ms: acked grows by progress each time. */
static void stall_samples(struct strbuf *sb, double t0, int n, int progress, int wnd,
			  int cwnd, int srtt)
{
	for (int i = 0; i < n; i++)
		syn(sb, "sample", t0 + 0.1 * i, "\"state\":1,\"mss\":1448,\"notsent\":100000,"
		    "\"snd_wnd\":%d,\"cwnd\":%d,\"in_flight\":2,\"bytes_sent\":%d,"
		    "\"bytes_retrans\":0,\"bytes_acked\":%d,\"srtt_us\":%d", wnd, cwnd,
		    1000000 + i * progress + 2896, 1000000 + i * progress, srtt);
}

TEST(tcpcheck, stalled)
{
	struct strbuf sb = STRBUF_INIT;
	struct tcpcheck_thresholds th;

	syn_begin(&sb, NULL, "cubic", 0);
	stall_samples(&sb, 1, 3, 0, 65535, 10, 1000);		/* 0.2 s without progress */
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_STALLED], 1);
	syn_begin(&sb, NULL, "cubic", 0);
	stall_samples(&sb, 1, 2, 0, 65535, 10, 1000);		/* 0.1 s: not yet */
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_STALLED], 0);
	syn_begin(&sb, NULL, "cubic", 0);
	stall_samples(&sb, 1, 10, 1448, 65535, 10, 1000);	/* moving */
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_STALLED], 0);
	syn_begin(&sb, NULL, "cubic", 0);
	stall_samples(&sb, 1, 10, 0, 4000, 10, 1000);		/* the peer's window is shut */
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_STALLED], 0);
	syn_begin(&sb, NULL, "cubic", 0);
	stall_samples(&sb, 1, 10, 0, 65535, 2, 1000);		/* cwnd is full */
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_STALLED], 0);
	syn_begin(&sb, NULL, "cubic", 0);
	stall_samples(&sb, 1, 6, 0, 65535, 10, 100000);		/* 8 x 100 ms not reached */
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_STALLED], 0);
	stall_samples(&sb, 1.6, 4, 0, 65535, 10, 100000);	/* 0.9 s: reached */
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_STALLED], 1);
	/* two episodes, progress between them */
	syn_begin(&sb, NULL, "cubic", 0);
	stall_samples(&sb, 1, 4, 0, 65535, 10, 1000);
	stall_samples(&sb, 2, 4, 0, 65535, 10, 1000);
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_STALLED], 1);	/* same bytes: one stall */
	syn_begin(&sb, NULL, "cubic", 0);
	stall_samples(&sb, 1, 4, 0, 65535, 10, 1000);
	syn(&sb, "sample", 1.5, "\"state\":1,\"mss\":1448,\"notsent\":0");
	stall_samples(&sb, 2, 4, 0, 65535, 10, 1000);
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_STALLED], 2);
	tcpcheck_thresholds_init(&th);
	th.stall_min_s = 1;
	CHECK_INT(check1(&sb, &th).count[TCPCHECK_STALLED], 0);
	strbuf_release(&sb);
}

/*
 * A receiver's samples every 100 ms (10 RTTs): the window w, autotuning's
 * measure rcv_space = space x w, a delivery of flow x rcv_space per RTT,
 * the window multiplied by growth each interval, rqueue unread bytes.
 */
static void rcv_samples(struct strbuf *sb, int n, double space, double flow, double growth,
			int rqueue)
{
	double w = 65536, got = 0;

	for (int i = 0; i < n; i++) {
		syn(sb, "sample", 1 + 0.1 * i, "\"bytes_received\":%.0f,\"rcv_wnd\":%.0f,"
		    "\"rcv_space\":%.0f,\"rcv_rtt_us\":10000,\"rqueue\":%d", got, w, space * w,
		    rqueue);
		got += flow * space * w * 10;
		w *= growth;
	}
}

TEST(tcpcheck, rwnd_stuck)
{
	struct strbuf sb = STRBUF_INIT;
	struct tcpcheck_thresholds th;
	struct tcpcheck_conn_result r;

	syn_begin(&sb, NULL, "cubic", 0);
	rcv_samples(&sb, 6, 0.7, 1.0, 1.0, 0);	/* wants 1.4 windows, gets none more */
	r = check1(&sb, NULL);
	CHECK_INT(r.count[TCPCHECK_RWND_STUCK], 1);
	CHECK(r.avail[TCPCHECK_RWND_STUCK]);
	syn_begin(&sb, NULL, "cubic", 0);
	rcv_samples(&sb, 12, 0.7, 1.0, 1.0, 0);	/* one long run is one occurrence */
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_RWND_STUCK], 1);
	syn_begin(&sb, NULL, "cubic", 0);
	rcv_samples(&sb, 5, 0.7, 1.0, 1.0, 0);	/* 4 intervals: one short */
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_RWND_STUCK], 0);
	syn_begin(&sb, NULL, "cubic", 0);
	rcv_samples(&sb, 20, 0.5, 1.0, 1.0, 0);	/* autotuning's target: twice the need */
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_RWND_STUCK], 0);
	syn_begin(&sb, NULL, "cubic", 0);
	rcv_samples(&sb, 20, 0.7, 1.0, 1.5, 0);	/* the window grows */
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_RWND_STUCK], 0);
	syn_begin(&sb, NULL, "cubic", 0);
	rcv_samples(&sb, 20, 0.7, 1.0, 1.06, 0);	/* 1.1 in two intervals */
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_RWND_STUCK], 0);
	syn_begin(&sb, NULL, "cubic", 0);
	rcv_samples(&sb, 20, 0.7, 0.3, 1.0, 0);	/* the flow slowed since its peak */
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_RWND_STUCK], 0);
	syn_begin(&sb, NULL, "cubic", 0);
	rcv_samples(&sb, 20, 0.7, 1.0, 1.0, 30000);	/* a slow reader keeps it small */
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_RWND_STUCK], 0);
	tcpcheck_thresholds_init(&th);
	th.rwnd_app = 0.5;
	CHECK_INT(check1(&sb, &th).count[TCPCHECK_RWND_STUCK], 1);
	/* a sender's samples: nothing received, nothing to say */
	syn_begin(&sb, NULL, "cubic", 0);
	rcv_samples(&sb, 20, 0.7, 0, 1.0, 0);
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_RWND_STUCK], 0);
	/* without tcpi_rcv_wnd (before 6.2) the probes' rcv_wnd stands in */
	syn_begin(&sb, "\"tcp_probe\"", "cubic", 0);
	syn(&sb, "probe", 0.5, "\"rcv_wnd\":65536,\"len\":1448");
	for (int i = 0; i < 8; i++)
		syn(&sb, "sample", 1 + 0.1 * i, "\"bytes_received\":%d,\"rcv_rtt_us\":10000,"
		    "\"rcv_space\":45875,\"rqueue\":0", i * 458750);
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_RWND_STUCK], 1);
	strbuf_release(&sb);
}

TEST(tcpcheck, rto_storm)
{
	struct strbuf sb = STRBUF_INIT;

	syn_begin(&sb, ALL_TP, "cubic", 0);
	syn(&sb, "ca", 1.0, "\"ca_state\":4");
	syn(&sb, "ca", 1.2, "\"ca_state\":4");
	syn(&sb, "ca", 1.3, "\"ca_state\":0");
	syn(&sb, "ca", 1.6, "\"ca_state\":4");
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_RTO_STORM], 1);
	syn_begin(&sb, ALL_TP, "cubic", 0);
	for (int i = 0; i < 7; i++)
		syn(&sb, "ca", 1.0 + i, "\"ca_state\":4");
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_RTO_STORM], 2);
	syn_begin(&sb, ALL_TP, "cubic", 0);
	syn(&sb, "ca", 1.0, "\"ca_state\":4");
	syn(&sb, "ca", 11.0, "\"ca_state\":4");
	syn(&sb, "ca", 21.1, "\"ca_state\":4");
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_RTO_STORM], 0);
	/* diag only: total_rto steps between samples; the ca events are not there */
	syn_begin(&sb, NULL, "cubic", 1);
	syn(&sb, "sample", 1.0, "\"total_rto\":5");
	syn(&sb, "sample", 1.1, "\"total_rto\":7");
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_RTO_STORM], 0);	/* 5 were before */
	syn(&sb, "end", 1.2, "\"total_rto\":8");
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_RTO_STORM], 1);
	syn_begin(&sb, NULL, "cubic", 0);
	syn(&sb, "sample", 1.0, "\"cwnd\":10");
	CHECK(!check1(&sb, NULL).avail[TCPCHECK_RTO_STORM]);	/* older than 6.7 */
	strbuf_release(&sb);
}

TEST(tcpcheck, resets_and_retransmits)
{
	struct strbuf sb = STRBUF_INIT;
	struct tcpcheck_thresholds th;
	struct tcpcheck_conn_result r;

	syn_begin(&sb, ALL_TP, "cubic", 1);
	syn(&sb, "rst_tx", 1.0, "\"reason\":11,\"state\":1");
	syn(&sb, "rst_rx", 1.1, NULL);
	syn(&sb, "retrans", 0.5, "\"err\":0");
	syn(&sb, "retrans", 0.6, "\"err\":-11");
	syn(&sb, "sample", 0.2, "\"total_retrans\":5");
	syn(&sb, "end", 1.2, "\"total_retrans\":9");
	r = check1(&sb, NULL);
	CHECK_INT(r.count[TCPCHECK_RESET], 2);
	CHECK_INT(r.count[TCPCHECK_RETRANS], 4);	/* 9 less the 5 it came with */
	tcpcheck_thresholds_init(&th);
	REQUIRE(!tcpcheck_threshold_set(&th, "unexpected_reset.ignore", "TCP_ABORT_ON_CLOSE, 1"));
	CHECK_INT(check1(&sb, &th).count[TCPCHECK_RESET], 1);	/* 6.18's numbers: 11 */
	/* a trace with its kernel's own table: 11 is something else there */
	syn_begin(&sb, ALL_TP, "cubic", 1);
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "{\"type\":\"info\",\"source\":\"tracepoints\",\"tracepoints\":"
			   "[\"tcp_send_reset\"],\"rst_reasons\":[\"NOT_SPECIFIED\",null,"
			   "\"TCP_ABORT_ON_CLOSE\"]}\n{\"type\":\"conn\",\"id\":1}\n");
	syn(&sb, "rst_tx", 1.0, "\"reason\":11");
	syn(&sb, "rst_tx", 1.1, "\"reason\":2");
	CHECK_INT(check1(&sb, &th).count[TCPCHECK_RESET], 1);
	/* no TCP_INFO at all: the events, a lower bound */
	syn_begin(&sb, ALL_TP, "cubic", 0);
	syn(&sb, "retrans", 0.5, "\"err\":0");
	syn(&sb, "retrans", 0.6, "\"err\":-11");
	syn(&sb, "retrans", 0.7, NULL);
	CHECK_INT(check1(&sb, NULL).count[TCPCHECK_RETRANS], 2);
	strbuf_release(&sb);
}

TEST(tcpcheck, thresholds)
{
	struct tcpcheck_thresholds th;

	tcpcheck_thresholds_init(&th);
	CHECK_INT(tcpcheck_threshold_set(&th, "stalled.rtts", "4"), 0);
	CHECK_NEAR(th.stall_rtts, 4, 0);
	CHECK_INT(tcpcheck_threshold_set(&th, "rto_storm.window_s", "2.5"), 0);
	CHECK_NEAR(th.rto_storm_window_s, 2.5, 0);
	CHECK_INT(tcpcheck_threshold_set(&th, "nope.x", "1"), PERFLAB_ENOTFOUND);
	test_capture_start();
	CHECK_INT(tcpcheck_threshold_set(&th, "stalled.rtts", "-1"), PERFLAB_EINVAL);
	CHECK_INT(tcpcheck_threshold_set(&th, "stalled.rtts", "4x"), PERFLAB_EINVAL);
	CHECK_INT(tcpcheck_threshold_set(&th, "rwnd_stuck.growth", "0.5"), PERFLAB_EINVAL);
	CHECK_INT(tcpcheck_threshold_set(&th, "unexpected_reset.ignore", "no such"),
		  PERFLAB_EINVAL);
	CHECK_INT(tcpcheck_threshold_set(&th, "unexpected_reset.ignore", "A_7_NEW_ONE"), 0);
	CHECK_INT(tcpcheck_threshold_set(&th, "unexpected_reset.ignore", "64"), PERFLAB_EINVAL);
	CHECK_CONTAINS(test_captured(), "'stalled.rtts'");
	test_capture_end();
	CHECK_NEAR(th.stall_rtts, 4, 0);
	for (int i = 0; tcpcheck_threshold_keys[i]; i++)
		CHECK(tcpcheck_threshold_set(&th, tcpcheck_threshold_keys[i], "1") !=
		      PERFLAB_ENOTFOUND);
}

TEST(tcpcheck, report_json)
{
	static const char *text =
		"{\"type\":\"info\",\"source\":\"diag\"}\n"
		"{\"type\":\"conn\",\"id\":3}\n"
		"{\"type\":\"conn\",\"id\":1}\n"
		"{\"type\":\"end\",\"id\":3,\"t\":1,\"total_retrans\":2}\n"
		"{\"type\":\"end\",\"id\":1,\"t\":1,\"total_retrans\":1}\n"
		"{\"type\":\"stats\",\"lost\":0}\n";
	struct tcpcheck_thresholds th;
	struct tcpcheck_report rep;
	struct tcprec_file f;
	json_t *j;
	char *s;

	tcpcheck_thresholds_init(&th);
	REQUIRE(!tcprec_parse(&f, text, strlen(text), "r"));
	REQUIRE(!tcpcheck_run(&rep, &f, &th));
	CHECK_INT(rep.conns, 2);
	CHECK(!rep.incomplete);
	j = tcpcheck_report_json(&rep);
	s = json_dump_compact(j);
	CHECK_CONTAINS(s, "\"retransmits\":{\"conns\":[1,3],\"count\":3}");
	CHECK_CONTAINS(s, "\"unexpected_reset\":{\"conns\":[],\"count\":null}");
	CHECK_CONTAINS(s, "\"incomplete\":false");
	free(s);
	json_decref(j);
	tcpcheck_report_release(&rep);
	th.retransmits_min = 2;
	REQUIRE(!tcpcheck_run(&rep, &f, &th));
	CHECK_INT(rep.rule[TCPCHECK_RETRANS].nr_ids, 1);
	CHECK_INT(rep.rule[TCPCHECK_RETRANS].ids[0], 3);
	CHECK_INT(rep.rule[TCPCHECK_RETRANS].count, 3);
	tcpcheck_report_release(&rep);
	tcprec_file_release(&f);
	REQUIRE(!tcprec_parse(&f, text, strlen(text) - 10, "r"));	/* cut: no stats */
	REQUIRE(!tcpcheck_run(&rep, &f, &th));
	CHECK(rep.incomplete);
	tcpcheck_report_release(&rep);
	tcprec_file_release(&f);
}

/* ---- the recorder, on the real kernel ---- */

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

static uint64_t sock_cookie(int fd)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);

	getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &len);
	return c;
}

static int run_quiet(const char *const *argv)
{
	return run_capture_err((char *const *)argv, 20, NULL, "/dev/null");
}

/*
 * Two network namespaces, tt-a-PID (192.0.2.1) and tt-b-PID (192.0.2.2),
 * joined by a veth pair tta0/ttb0; enter() moves this thread into one.
 */
struct nspair {
	char a[32], b[32];
	int fd_a, fd_b, fd_home;
};

static int ns_cmd(const struct nspair *p, const char *ns, const char *const *args)
{
	const char *argv[24] = { "ip", "netns", "exec", ns };
	int n = 4;

	while (*args && n < 23)
		argv[n++] = *args++;
	argv[n] = NULL;
	return run_quiet(argv);
}

static void nspair_down(struct nspair *p)
{
	if (p->fd_home >= 0) {
		setns(p->fd_home, CLONE_NEWNET);
		close(p->fd_home);
	}
	if (p->fd_a >= 0)
		close(p->fd_a);
	if (p->fd_b >= 0)
		close(p->fd_b);
	run_quiet((const char *[]){ "ip", "netns", "del", p->a, NULL });
	run_quiet((const char *[]){ "ip", "netns", "del", p->b, NULL });
}

static int nspair_up(struct nspair *p)
{
	char path[64];
	int bad;

	snprintf(p->a, sizeof(p->a), "tt-a-%d", (int)getpid());
	snprintf(p->b, sizeof(p->b), "tt-b-%d", (int)getpid());
	p->fd_a = p->fd_b = -1;
	p->fd_home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	bad = p->fd_home < 0 ||
	      run_quiet((const char *[]){ "ip", "netns", "add", p->a, NULL }) ||
	      run_quiet((const char *[]){ "ip", "netns", "add", p->b, NULL }) ||
	      run_quiet((const char *[]){ "ip", "link", "add", "tta0", "netns", p->a, "type", "veth",
					  "peer", "name", "ttb0", "netns", p->b, NULL }) ||
	      ns_cmd(p, p->a, (const char *[]){ "ip", "addr", "add", "192.0.2.1/24", "dev", "tta0", NULL }) ||
	      ns_cmd(p, p->b, (const char *[]){ "ip", "addr", "add", "192.0.2.2/24", "dev", "ttb0", NULL }) ||
	      ns_cmd(p, p->a, (const char *[]){ "ip", "link", "set", "tta0", "up", NULL }) ||
	      ns_cmd(p, p->b, (const char *[]){ "ip", "link", "set", "ttb0", "up", NULL }) ||
	      ns_cmd(p, p->a, (const char *[]){ "ip", "link", "set", "lo", "up", NULL }) ||
	      ns_cmd(p, p->b, (const char *[]){ "ip", "link", "set", "lo", "up", NULL });
	if (!bad) {
		snprintf(path, sizeof(path), "/run/netns/%s", p->a);
		p->fd_a = open(path, O_RDONLY | O_CLOEXEC);
		snprintf(path, sizeof(path), "/run/netns/%s", p->b);
		p->fd_b = open(path, O_RDONLY | O_CLOEXEC);
		bad = p->fd_a < 0 || p->fd_b < 0;
	}
	if (bad)
		nspair_down(p);
	return bad ? -1 : 0;
}

static void enter(int fd)
{
	if (setns(fd, CLONE_NEWNET))
		die_errno("setns");
}

/* A root qdisc on tta0 (tt-a's egress) or ttb0: "tbf rate 20mbit burst 1600 limit 3000". */
static int nspair_qdisc(const struct nspair *p, int b, const char *const *qdisc)
{
	const char *argv[24] = { "tc", "qdisc", "add", "dev", b ? "ttb0" : "tta0", "root" };
	int n = 6;

	while (*qdisc && n < 23)
		argv[n++] = *qdisc++;
	argv[n] = NULL;
	return ns_cmd(p, b ? p->b : p->a, argv);
}

static int nspair_shape(const struct nspair *p, const char *const *qdisc)
{
	return nspair_qdisc(p, 0, qdisc);
}

/* A listener on addr:0 made in the current namespace; its port in *port. */
static int listen_on(const char *addr, int rcvbuf, uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, addr, &sa.sin_addr);
	if (rcvbuf)	/* inherited by the accepted socket, before the handshake */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 8) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len))
		die_errno("cannot listen on '%s'", addr);
	*port = ntohs(sa.sin_port);
	return fd;
}

static int connect_to(const char *addr, uint16_t port, const char *cc)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, addr, &sa.sin_addr);
	if (cc)
		setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, (socklen_t)strlen(cc));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die_errno("cannot connect to '%s'", addr);
	return fd;
}

/*
 * Send total bytes from snd to rcv, the reader draining as fast as it
 * can, then close the sender and read to the end. No clock: the
 * transfer ends when the bytes are there (a stuck one after 30 s of
 * nothing fails the test).
 */
static int transfer(int snd, int rcv, size_t total)
{
	static char buf[1 << 16];
	size_t sent = 0, got = 0;
	int eof = 0;

	set_nonblock(snd);
	set_nonblock(rcv);
	while (!eof) {
		struct pollfd fds[2] = { { rcv, POLLIN, 0 }, { snd, sent < total ? POLLOUT : 0, 0 } };
		ssize_t n;

		if (poll(fds, 2, 30000) <= 0)
			return -1;
		if (fds[1].revents & POLLOUT) {
			n = write(snd, buf, total - sent < sizeof(buf) ? total - sent : sizeof(buf));
			if (n > 0 && (sent += (size_t)n) == total)
				shutdown(snd, SHUT_WR);
		}
		while ((n = read(rcv, buf, sizeof(buf))) > 0)
			got += (size_t)n;
		eof = n == 0;
	}
	return got == total ? 0 : -1;
}

/* Send n bytes from snd to rcv and read them all; both stay open. */
static int transfer_some(int snd, int rcv, size_t n)
{
	static char buf[1 << 16];
	size_t sent = 0, got = 0;

	set_nonblock(snd);
	set_nonblock(rcv);
	while (got < n) {
		struct pollfd fds[2] = { { rcv, POLLIN, 0 }, { snd, sent < n ? POLLOUT : 0, 0 } };
		ssize_t k;

		if (poll(fds, 2, 30000) <= 0)
			return -1;
		if ((fds[1].revents & POLLOUT) &&
		    (k = write(snd, buf, n - sent < sizeof(buf) ? n - sent : sizeof(buf))) > 0)
			sent += (size_t)k;
		while ((k = read(rcv, buf, sizeof(buf))) > 0)
			got += (size_t)k;
	}
	return 0;
}

static int64_t snmp_now(const char *key)
{
	char *text = read_file("/proc/thread-self/net/snmp", 1 << 20, NULL);
	struct snmp_table t = { 0 };
	int64_t v;

	snmp_parse(&t, text ? text : "", "snmp");
	v = snmp_get(&t, key);
	snmp_table_release(&t);
	free(text);
	return v;
}

/* The connection of a trace with this socket cookie. */
static const struct tcprec_conn *by_cookie(const struct tcprec_file *f, uint64_t cookie)
{
	for (size_t i = 0; i < f->nr_conn; i++)
		if (f->conn[i].cookie == cookie)
			return &f->conn[i];
	return NULL;
}

static size_t count_kind(const struct tcprec_file *f, const struct tcprec_conn *c, int kind,
			 enum tcprec_field need)
{
	size_t n = 0;

	for (size_t i = c->first; i < c->first + c->nr; i++)
		n += f->rec[i].kind == kind && tcprec_has(&f->rec[i], need);
	return n;
}

/*
 * Start a recorder in the namespace of ns_fd (-1: this one) for one port,
 * with the options of tmpl (NULL: the defaults).
 */
static struct tcptrace *record_with(int ns_fd, int home_fd, const char *name, uint16_t port,
				    const struct tcptrace_opts *tmpl)
{
	static uint16_t ports[1];
	struct tcptrace_opts o;
	struct tcptrace *t = NULL;
	char path[512];

	ports[0] = port;
	snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
	if (tmpl)
		o = *tmpl;
	else
		tcptrace_opts_init(&o);
	o.path = path;
	o.ports = ports;
	o.nports = 1;
	if (ns_fd >= 0)
		enter(ns_fd);
	if (tcptrace_start(&t, &o))
		t = NULL;
	if (ns_fd >= 0)
		enter(home_fd);
	return t;
}

static struct tcptrace *record(int ns_fd, int home_fd, const char *name, uint16_t port,
			       enum tcptrace_source src)
{
	struct tcptrace_opts o;

	tcptrace_opts_init(&o);
	o.source = src;
	return record_with(ns_fd, home_fd, name, port, &o);
}

/*
 * Pass a byte from snd to rcv, then wait until the recorder knows n
 * connections (events named them, lookups found them): what they are
 * (cc, MSS) is then on record however short the transfer.
 */
static int wait_conns(struct tcptrace *t, int snd, int rcv, uint64_t n)
{
	struct tcprec_stats st;
	char c = 'x';

	if (write(snd, &c, 1) != 1 || read(rcv, &c, 1) != 1)
		return -1;
	for (int i = 0; i < 1000; i++) {
		tcptrace_stats(t, &st);
		if (st.conns >= n)
			return 0;
		usleep(10000);
	}
	return -1;
}

static int read_trace(struct tcprec_file *f, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
	return tcprec_read(f, path);
}

static void check_report(const struct tcprec_file *f, const struct tcprec_conn *c,
			 struct tcpcheck_conn_result *out)
{
	struct tcpcheck_thresholds th;

	tcpcheck_thresholds_init(&th);
	tcpcheck_conn(out, f, c, &th);
}

/*
 * Nothing flagged but the retransmissions the kernel itself counted
 * (retrans): a loaded machine delays an ACK now and then on loopback
 * too, and a tail loss probe goes out -- a real retransmission.
 */
static int nothing_flagged(const struct tcpcheck_conn_result *r, int64_t retrans)
{
	for (int k = 0; k < TCPCHECK_NRULES; k++) {
		int64_t want = k == TCPCHECK_RETRANS ? retrans : 0;

		if ((int64_t)r->count[k] != want) {
			printf("# '%s' counted %llu, expected %lld\n", tcpcheck_rule_names[k],
			       (unsigned long long)r->count[k], (long long)want);
			return 0;
		}
	}
	return 1;
}

/* The socket's own count of retransmitted segments. */
static int64_t retrans_of(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	return ti.tcpi_total_retrans;
}

TEST(tcptrace, loopback_records_and_a_clean_transfer)
{
	struct tcprec_stats st;
	struct tcprec_file f;
	struct tcptrace *t;
	const struct tcprec_conn *cs, *cr;
	struct tcpcheck_conn_result r;
	uint64_t ck_snd, ck_rcv;
	uint16_t port;
	int lfd, snd, rcv;
	int64_t rtx;

	if (!test_is_root()) {
		test_skip("tracing needs root");
		return;
	}
	lfd = listen_on("127.0.0.1", 0, &port);
	t = record(-1, -1, "lo.ndjson", port, TCPTRACE_AUTO);
	REQUIRE(t);
	snd = connect_to("127.0.0.1", port, "cubic");
	rcv = accept(lfd, NULL, NULL);
	ck_snd = sock_cookie(snd);
	ck_rcv = sock_cookie(rcv);
	CHECK(!wait_conns(t, snd, rcv, 2));
	CHECK(!transfer(snd, rcv, 64 << 20));
	rtx = retrans_of(snd);
	close(snd);
	close(rcv);
	close(lfd);
	REQUIRE(!tcptrace_stop(t, &st));
	REQUIRE(!read_trace(&f, "lo.ndjson"));
	CHECK(f.have_stats);
	CHECK_INT(f.stats.lost, 0);
	cs = by_cookie(&f, ck_snd);
	cr = by_cookie(&f, ck_rcv);
	REQUIRE(cs && cr);
	CHECK_STR(cs->owner, "diag");
	CHECK_STR(cr->owner, "diag");
	CHECK_STR(cs->cc, "cubic");
	CHECK(count_kind(&f, cs, TCPREC_SAMPLE, TF_MSS) + count_kind(&f, cs, TCPREC_END, TF_MSS) > 0);
	CHECK_INT(count_kind(&f, cs, TCPREC_END, TF_BYTES_ACKED), 1);
	CHECK_INT(count_kind(&f, cr, TCPREC_END, TF_BYTES_RECEIVED), 1);
	CHECK(count_kind(&f, cr, TCPREC_SAMPLE, TF_RCV_WND) > 0);
	if (!strcmp(f.source, "tracepoints")) {
		CHECK(count_kind(&f, cs, TCPREC_PROBE, TF_CWND) > 0);
		CHECK(count_kind(&f, cs, TCPREC_PROBE, TF_SRTT) > 0);
		/* the ACKs only, by default: no data segment's snapshot */
		for (size_t i = 0; i < f.nr_rec; i++)
			if (f.rec[i].kind == TCPREC_PROBE && tcprec_get(&f.rec[i], TF_LEN, 0) > 0)
				test_fail(__FILE__, __LINE__, "a probe of a data segment");
	}
	check_report(&f, cs, &r);
	CHECK(nothing_flagged(&r, rtx));
	check_report(&f, cr, &r);
	CHECK(nothing_flagged(&r, 0));
	tcprec_file_release(&f);
}

/* A transfer from tt-a to tt-b over the veth, traced on side ns_fd. */
struct run {
	struct tcprec_file f;
	const struct tcprec_conn *snd, *rcv;	/* by cookie; NULL if not in the trace */
	struct tcpcheck_conn_result rs, rr;
	int64_t retrans_segs;	/* TcpRetransSegs delta in tt-a */
	int ok;
};

static void ns_transfer(struct run *out, struct nspair *p, int traced_fd, int rcvbuf,
			size_t bytes, const char *name)
{
	struct tcptrace *t;
	uint64_t ck_snd, ck_rcv;
	uint16_t port;
	int64_t rs0;
	int lfd, snd, rcv;

	memset(out, 0, sizeof(*out));
	enter(p->fd_b);
	lfd = listen_on("192.0.2.2", rcvbuf, &port);
	enter(p->fd_a);
	rs0 = snmp_now("Tcp.RetransSegs");
	enter(p->fd_home);
	t = record(traced_fd, p->fd_home, name, port, TCPTRACE_AUTO);
	if (!t)
		return;
	enter(p->fd_a);
	snd = connect_to("192.0.2.2", port, "cubic");
	enter(p->fd_home);
	rcv = accept(lfd, NULL, NULL);
	ck_snd = sock_cookie(snd);
	ck_rcv = sock_cookie(rcv);
	out->ok = !wait_conns(t, snd, rcv, 1) && !transfer(snd, rcv, bytes);
	close(snd);
	close(rcv);
	close(lfd);
	enter(p->fd_a);
	out->retrans_segs = snmp_now("Tcp.RetransSegs") - rs0;
	enter(p->fd_home);
	if (tcptrace_stop(t, NULL) || read_trace(&out->f, name)) {
		out->ok = 0;
		return;
	}
	out->snd = by_cookie(&out->f, ck_snd);
	out->rcv = by_cookie(&out->f, ck_rcv);
	if (out->snd)
		check_report(&out->f, out->snd, &out->rs);
	if (out->rcv)
		check_report(&out->f, out->rcv, &out->rr);
}




TEST(tcptrace, netns_each_side_its_own_and_a_clean_transfer)
{
	struct nspair p;
	struct run a, b;

	if (!test_is_root()) {
		test_skip("namespaces need root");
		return;
	}
	REQUIRE(!nspair_up(&p));
	ns_transfer(&a, &p, p.fd_a, 0, 8 << 20, "clean-a.ndjson");
	ns_transfer(&b, &p, p.fd_b, 0, 8 << 20, "clean-b.ndjson");
	nspair_down(&p);
	CHECK(a.ok && b.ok);
	/* tt-a's trace has the sender only, tt-b's the receiver only */
	REQUIRE(a.snd && !a.rcv && b.rcv && !b.snd);
	CHECK_STR(a.snd->owner, "diag");
	CHECK_STR(a.snd->laddr, "192.0.2.1");
	CHECK_STR(b.rcv->laddr, "192.0.2.2");
	if (!strcmp(a.f.source, "tracepoints"))
		CHECK(a.f.stats.foreign > 0);	/* the other side's events, seen and dropped */
	CHECK(nothing_flagged(&a.rs, a.retrans_segs));
	CHECK(nothing_flagged(&b.rr, 0));
	tcprec_file_release(&a.f);
	tcprec_file_release(&b.f);
}

TEST(tcptrace, netns_retransmits_agree_with_the_kernel)
{
	struct nspair p;
	struct run r;
	double d;

	if (!test_is_root()) {
		test_skip("namespaces need root");
		return;
	}
	REQUIRE(!nspair_up(&p));
	/* a bucket of two segments and a queue of four: drops, hence retransmissions */
	if (nspair_shape(&p, (const char *[]){ "tbf", "rate", "100mbit", "burst", "3000",
					       "limit", "6000", NULL })) {
		nspair_down(&p);
		test_skip("no tbf qdisc here");
		return;
	}
	ns_transfer(&r, &p, p.fd_a, 0, 8 << 20, "tbf-a.ndjson");
	nspair_down(&p);
	CHECK(r.ok);
	REQUIRE(r.snd);
	CHECK(r.retrans_segs > 0);
	CHECK(r.rs.avail[TCPCHECK_RETRANS]);
	d = (double)r.rs.count[TCPCHECK_RETRANS] - (double)r.retrans_segs;
	if (!(fabs(d) <= 0.05 * (double)r.retrans_segs))
		test_fail(__FILE__, __LINE__, "retransmits %llu, the kernel's TcpRetransSegs %lld",
			  (unsigned long long)r.rs.count[TCPCHECK_RETRANS],
			  (long long)r.retrans_segs);
	/* loss recovery is not a sender overrunning its windows */
	CHECK_INT(r.rs.count[TCPCHECK_OVER_CWND], 0);
	CHECK_INT(r.rs.count[TCPCHECK_OVER_RWND], 0);
	tcprec_file_release(&r.f);
}

/*
 * The seed-001 shape: a receiver with SO_RCVBUF 64K behind a 20 Mbit/s
 * link whose queue delays the data. The sender starts with cwnd 200
 * (more than the window) so the window is all that limits it: the
 * locked window never grows while the application reads everything at
 * once. An autotuned receiver grows its window and is not flagged.
 */
TEST(tcptrace, netns_receive_window_stuck)
{
	struct nspair p;
	struct run small, autotuned;

	if (!test_is_root()) {
		test_skip("namespaces need root");
		return;
	}
	REQUIRE(!nspair_up(&p));
	if (nspair_shape(&p, (const char *[]){ "tbf", "rate", "20mbit", "burst", "20000",
					       "limit", "300000", NULL }) ||
	    ns_cmd(&p, p.a, (const char *[]){ "ip", "route", "change", "192.0.2.0/24", "dev",
					     "tta0", "proto", "kernel", "scope", "link", "src",
					     "192.0.2.1", "initcwnd", "200", NULL })) {
		nspair_down(&p);
		test_skip("no tbf qdisc or initcwnd here");
		return;
	}
	ns_transfer(&small, &p, p.fd_b, 65536, 3 << 20, "small-b.ndjson");
	ns_transfer(&autotuned, &p, p.fd_b, 0, 3 << 20, "auto-b.ndjson");
	nspair_down(&p);
	CHECK(small.ok && autotuned.ok);
	REQUIRE(small.rcv && autotuned.rcv);
	CHECK(small.rr.avail[TCPCHECK_RWND_STUCK]);
	CHECK(small.rr.count[TCPCHECK_RWND_STUCK] >= 1);
	CHECK_INT(autotuned.rr.count[TCPCHECK_RWND_STUCK], 0);
	tcprec_file_release(&small.f);
	tcprec_file_release(&autotuned.f);
}

TEST(tcptrace, diag_fallback_on_loopback)
{
	struct tcprec_file f;
	struct tcptrace *t;
	const struct tcprec_conn *cs;
	struct tcpcheck_conn_result r;
	uint64_t ck;
	uint16_t port;
	int lfd, snd, rcv;
	int64_t rtx;

	if (!test_is_root()) {
		test_skip("the destroy broadcast needs root");
		return;
	}
	lfd = listen_on("127.0.0.1", 0, &port);
	snd = connect_to("127.0.0.1", port, "cubic");
	rcv = accept(lfd, NULL, NULL);
	ck = sock_cookie(snd);
	/* open before the trace: its first dump finds it */
	t = record(-1, -1, "diag.ndjson", port, TCPTRACE_DIAG);
	REQUIRE(t);
	CHECK_STR(tcptrace_source(t), "diag");
	CHECK(!transfer(snd, rcv, 16 << 20));
	rtx = retrans_of(snd);
	close(snd);
	close(rcv);
	close(lfd);
	REQUIRE(!tcptrace_stop(t, NULL));
	REQUIRE(!read_trace(&f, "diag.ndjson"));
	CHECK_STR(f.source, "diag");
	CHECK_INT(f.traced, 1 << TCPREC_SAMPLE | 1 << TCPREC_END);
	cs = by_cookie(&f, ck);
	REQUIRE(cs);
	CHECK(cs->preexisting);
	CHECK_STR(cs->cc, "cubic");
	CHECK_INT(count_kind(&f, cs, TCPREC_PROBE, TF_CWND), 0);
	CHECK(count_kind(&f, cs, TCPREC_SAMPLE, TF_MSS) > 0);
	CHECK_INT(count_kind(&f, cs, TCPREC_END, TF_TOTAL_RETRANS), 1);
	check_report(&f, cs, &r);
	CHECK(r.avail[TCPCHECK_RETRANS] && r.avail[TCPCHECK_STALLED]);
	CHECK(!r.avail[TCPCHECK_RESET]);	/* no events, no resets to see */
	CHECK(nothing_flagged(&r, rtx));
	tcprec_file_release(&f);
}

TEST(tcptrace, resets_are_flagged)
{
	struct linger lg = { 1, 0 };
	struct tcpcheck_thresholds th;
	struct tcpcheck_conn_result r;
	struct tcprec_file f;
	struct tcptrace *t;
	const struct tcprec_conn *cs, *cr;
	uint64_t ck_snd, ck_rcv;
	uint16_t port;
	int lfd, snd, rcv;
	char c;

	if (!test_is_root()) {
		test_skip("tracing needs root");
		return;
	}
	lfd = listen_on("127.0.0.1", 0, &port);
	t = record(-1, -1, "rst.ndjson", port, TCPTRACE_AUTO);
	REQUIRE(t);
	if (strcmp(tcptrace_source(t), "tracepoints")) {
		tcptrace_stop(t, NULL);
		close(lfd);
		test_skip("no tracepoints here");
		return;
	}
	snd = connect_to("127.0.0.1", port, "cubic");
	rcv = accept(lfd, NULL, NULL);
	ck_snd = sock_cookie(snd);
	ck_rcv = sock_cookie(rcv);
	CHECK(!wait_conns(t, snd, rcv, 2));
	/* an abortive close: the receiver resets, the sender is reset */
	setsockopt(rcv, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(rcv);
	CHECK(read(snd, &c, 1) < 0 && errno == ECONNRESET);
	close(snd);
	close(lfd);
	REQUIRE(!tcptrace_stop(t, NULL));
	REQUIRE(!read_trace(&f, "rst.ndjson"));
	cs = by_cookie(&f, ck_snd);
	cr = by_cookie(&f, ck_rcv);
	REQUIRE(cs && cr);
	CHECK_INT(count_kind(&f, cr, TCPREC_RST_TX, TF_REASON), 1);
	CHECK_STR(f.rst_reasons[14], "TCP_STATE");	/* this kernel's table, carried */
	check_report(&f, cr, &r);
	CHECK_INT(r.count[TCPCHECK_RESET], 1);
	check_report(&f, cs, &r);
	CHECK_INT(r.count[TCPCHECK_RESET], 1);
	/* an abortive close is what this application meant: ignored if asked
	 * (a disconnect with no linger is reason TCP_STATE, named as this
	 * kernel names it in the trace's info line) */
	tcpcheck_thresholds_init(&th);
	REQUIRE(!tcpcheck_threshold_set(&th, "unexpected_reset.ignore", "TCP_STATE"));
	tcpcheck_conn(&r, &f, cr, &th);
	CHECK_INT(r.count[TCPCHECK_RESET], 0);
	tcprec_file_release(&f);
}

TEST(tcptrace, caps_and_losses_are_counted)
{
	struct tcptrace_opts o;
	struct tcprec_stats st;
	struct tcpcheck_thresholds th;
	struct tcpcheck_report rep;
	struct tcprec_file f;
	struct tcptrace *t;
	const struct tcprec_conn *cs;
	char path[512];
	char *text;
	uint16_t port;
	int lfd, snd, rcv;
	size_t n_data = 0;

	if (!test_is_root()) {
		test_skip("tracing needs root");
		return;
	}
	tcptrace_opts_init(&o);
	o.max_records = 50;
	o.probe_gap_us = 0;	/* every probe: more than 50 */
	o.probe_data = 1;	/* data segments too */
	o.ring_kb = 4;		/* one page: the rings may well overrun */
	lfd = listen_on("127.0.0.1", 0, &port);
	t = record_with(-1, -1, "cap.ndjson", port, &o);
	REQUIRE(t);
	snd = connect_to("127.0.0.1", port, "cubic");
	rcv = accept(lfd, NULL, NULL);
	CHECK(!wait_conns(t, snd, rcv, 2));
	cs = NULL;
	CHECK(!transfer(snd, rcv, 64 << 20));
	close(snd);
	close(rcv);
	close(lfd);
	REQUIRE(!tcptrace_stop(t, &st));
	REQUIRE(!read_trace(&f, "cap.ndjson"));
	CHECK(st.capped > 0 && st.conns_capped > 0);
	CHECK_INT(f.stats.capped, st.capped);
	CHECK_INT(f.stats.lost, st.lost);
	for (size_t i = 0; i < f.nr_conn; i++)
		if (f.conn[i].capped)
			cs = &f.conn[i];
	REQUIRE(cs);
	CHECK(cs->nr <= 51);	/* the cap, and its end record */
	for (size_t i = 0; i < f.nr_rec; i++)
		n_data += f.rec[i].kind == TCPREC_PROBE && tcprec_get(&f.rec[i], TF_LEN, 0) > 0;
	CHECK(n_data > 0);	/* the receiver's data segments, with probe_data */
	snprintf(path, sizeof(path), "%s/cap.ndjson", test_tmpdir());
	text = read_file(path, 0, NULL);
	REQUIRE(text);
	CHECK_CONTAINS(text, "\"type\":\"cap\"");
	if (st.lost)
		CHECK_CONTAINS(text, "\"type\":\"lost\"");
	free(text);
	tcpcheck_thresholds_init(&th);
	tcpcheck_run(&rep, &f, &th);
	CHECK(rep.incomplete);		/* what the checks say is a lower bound */
	tcpcheck_report_release(&rep);
	tcprec_file_release(&f);
}

/* tcpi_total_rto of a socket (Linux 6.7+), -1 when the kernel has none. */
static int total_rto(int fd)
{
	unsigned char ti[512] = { 0 };
	socklen_t len = sizeof(ti);
	uint16_t v;

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len) || len < 242)
		return -1;
	memcpy(&v, ti + 240, 2);
	return v;
}

/*
 * A path that loses every acknowledgement (tt-b's egress: a tbf whose
 * bucket is smaller than any packet, its queue soon full) under a
 * connection with data to send: timeout after timeout, backing off
 * (0.2 s, 0.4 s, 0.8 s...) until three have passed.
 */
TEST(tcptrace, netns_rto_storm)
{
	static char buf[1 << 16];
	struct linger lg = { 1, 0 };
	struct tcprec_file f;
	struct tcptrace *t;
	struct tcpcheck_conn_result r;
	const struct tcprec_conn *cs;
	struct nspair p;
	uint64_t ck;
	uint16_t port;
	int lfd, snd, rcv, n = 0;

	if (!test_is_root()) {
		test_skip("namespaces need root");
		return;
	}
	REQUIRE(!nspair_up(&p));
	enter(p.fd_b);
	lfd = listen_on("192.0.2.2", 0, &port);
	enter(p.fd_home);
	t = record(p.fd_a, p.fd_home, "rto.ndjson", port, TCPTRACE_AUTO);
	REQUIRE(t);
	enter(p.fd_a);
	snd = connect_to("192.0.2.2", port, "cubic");
	enter(p.fd_home);
	rcv = accept(lfd, NULL, NULL);
	ck = sock_cookie(snd);
	CHECK(!wait_conns(t, snd, rcv, 1));
	if (total_rto(snd) < 0 ||
	    nspair_qdisc(&p, 1, (const char *[]){ "tbf", "rate", "1mbit", "burst", "10", "limit",
						  "1000", NULL })) {
		test_skip("no tcpi_total_rto or no tbf here");
	} else {
		set_nonblock(snd);
		CHECK(write(snd, buf, sizeof(buf)) > 0);
		while (total_rto(snd) < 3 && n++ < 200)	/* at most 20 s */
			usleep(100000);
		CHECK(total_rto(snd) >= 3);
	}
	setsockopt(snd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(snd);
	close(rcv);
	close(lfd);
	nspair_down(&p);
	REQUIRE(!tcptrace_stop(t, NULL));
	REQUIRE(!read_trace(&f, "rto.ndjson"));
	cs = by_cookie(&f, ck);
	REQUIRE(cs);
	check_report(&f, cs, &r);
	CHECK(r.avail[TCPCHECK_RTO_STORM]);
	if (n)
		CHECK_INT(r.count[TCPCHECK_RTO_STORM], 1);
	tcprec_file_release(&f);
}

/*
 * The event budget: past probe_budget firings a second, tcp_probe is on
 * for part of each interval only; the file says when, the first probe of
 * each window is marked as following a gap, and a clean transfer still
 * flags nothing.
 */
TEST(tcptrace, probe_budget_switches_tcp_probe)
{
	struct tcptrace_opts o;
	struct tcprec_stats st;
	struct tcprec_file f;
	struct tcptrace *t;
	const struct tcprec_conn *cs;
	struct tcpcheck_conn_result r;
	uint64_t ck;
	uint16_t port;
	int lfd, snd, rcv, rounds = 0;
	int64_t rtx;

	if (!test_is_root()) {
		test_skip("tracing needs root");
		return;
	}
	tcptrace_opts_init(&o);
	o.probe_budget = 100;
	lfd = listen_on("127.0.0.1", 0, &port);
	t = record_with(-1, -1, "budget.ndjson", port, &o);
	REQUIRE(t);
	if (strcmp(tcptrace_source(t), "tracepoints")) {
		tcptrace_stop(t, NULL);
		close(lfd);
		test_skip("no tracepoints here");
		return;
	}
	snd = connect_to("127.0.0.1", port, "cubic");
	rcv = accept(lfd, NULL, NULL);
	ck = sock_cookie(snd);
	CHECK(!wait_conns(t, snd, rcv, 2));
	do {	/* until tcp_probe has been switched off and on again twice */
		CHECK(!transfer_some(snd, rcv, 16 << 20));
		tcptrace_stats(t, &st);
	} while (st.probe_offs < 2 && ++rounds < 500);
	rtx = retrans_of(snd);
	close(snd);
	close(rcv);
	close(lfd);
	REQUIRE(!tcptrace_stop(t, &st));
	CHECK(st.probe_offs >= 2);
	REQUIRE(!read_trace(&f, "budget.ndjson"));
	CHECK(f.probe_switches >= 3);
	CHECK_INT(f.stats.probe_offs, st.probe_offs);
	cs = by_cookie(&f, ck);
	REQUIRE(cs);
	CHECK(count_kind(&f, cs, TCPREC_PROBE, TF_GAP) >= 1);
	check_report(&f, cs, &r);
	CHECK(nothing_flagged(&r, rtx));
	tcprec_file_release(&f);
}

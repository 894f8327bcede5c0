#include "workloads/load.h"
#include "common/opt.h"
#include "common/util.h"

#include <stddef.h>
#include <string.h>
#include <unistd.h>

const char *const load_workload_names[] = { "bulk", "crr", "xfer", "chunk", NULL };
static const char *const direction_names[] = { "down", "up", NULL };
static const char *const records_names[] = { "auto", "all", "none", NULL };

#define C(name, sh, type, field, lo, hi, ch, def, argh, help) \
	{ name, sh, type, offsetof(struct load_client_opts, field), lo, hi, ch, def, argh, help }
#define S(name, sh, type, field, lo, hi, ch, def, argh, help) \
	{ name, sh, type, offsetof(struct load_server_opts, field), lo, hi, ch, def, argh, help }

const struct opt load_client_table[] = {
	C("workload", 'w', OPT_CHOICE, workload, 0, 0, load_workload_names, "bulk", "W",
	  "bulk, crr, xfer or chunk"),
	C("host", 0, OPT_STRING, host, 0, 0, NULL, "127.0.0.1", "ADDR", "server address"),
	C("port", 'p', OPT_INT, port, 1, 65535, NULL, "5301", "PORT", "first server port"),
	C("ports", 0, OPT_INT, ports, 1, 1024, NULL, "1", "N",
	  "spread connections over N consecutive ports"),
	C("threads", 'T', OPT_INT, threads, 0, 1024, NULL, "0", "N",
	  "worker threads, 0 = min(connections, CPUs)"),
	C("connections", 'c', OPT_INT, connections, 1, 10000000, NULL, "1", "N",
	  "concurrent connections"),
	C("direction", 0, OPT_CHOICE, direction, 0, 0, direction_names, "down", "DIR",
	  "bulk and xfer: down (the server sends) or up (the client sends)"),
	C("bufsize", 0, OPT_SIZE, bufsize, 1, 1 << 30, NULL, "64K", "BYTES",
	  "bytes per send or receive call"),
	C("sndbuf", 0, OPT_SIZE, sndbuf, 0, 1 << 30, NULL, "0", "BYTES",
	  "SO_SNDBUF of the sending side, 0 = autotuning"),
	C("rcvbuf", 0, OPT_SIZE, rcvbuf, 0, 1 << 30, NULL, "0", "BYTES",
	  "SO_RCVBUF of the receiving side, 0 = autotuning"),
	C("nodelay", 0, OPT_BOOL, nodelay, 0, 0, NULL, "no", NULL, "set TCP_NODELAY on both ends"),
	C("sendfile", 0, OPT_BOOL, sendfile, 0, 0, NULL, "no", NULL,
	  "the sender uses sendfile from memory (no user-space copy)"),
	C("recv-copy", 0, OPT_BOOL, recv_copy, 0, 0, NULL, "no", NULL,
	  "the client copies received bytes to user space (default: the kernel drops them)"),
	C("rate", 'r', OPT_RATE, rate, 0, 0, NULL, "0", "BPS",
	  "total send rate in bits/s (100M, 1G), 0 = unlimited"),
	C("delay-ms", 0, OPT_DOUBLE, delay_ms, 0, 60000, NULL, "0", "MS",
	  "add MS to the RTT: TCP_TX_DELAY on the receiving side, which delays its ACKs "
	  "(the client; the server of an upload); needs root and the fq qdisc there"),
	C("size", 's', OPT_SIZE, size, 0, 0, NULL, "0", "BYTES",
	  "bytes per transfer (xfer 10M), response (crr 64) or chunk (chunk 1M)"),
	C("request-size", 0, OPT_SIZE, request_size, 0, 1 << 30, NULL, "0", "BYTES",
	  "crr: request payload after the 64-byte hello"),
	C("burst", 0, OPT_INT, burst, 0, 1000000, NULL, "0", "N",
	  "crr: open N connections at once every burst-interval, 0 = steady"),
	C("burst-interval", 0, OPT_DURATION, burst_interval, 0.001, 3600, NULL, "1s", "SECS",
	  "crr: time between bursts"),
	C("cc", 0, OPT_STRING, cc, 0, 0, NULL, "", "STACKS",
	  "TCP stack (congestion control), or two to split connections: cubic,bbr"),
	C("url", 0, OPT_STRING, url, 0, 0, NULL, "", "URL",
	  "chunk: fetch this http:// URL instead of our server's /bytes/SIZE"),
	C("duration", 't', OPT_DURATION, duration, 0.01, 86400 * 7, NULL, "10s", "SECS",
	  "seconds measured after the warmup"),
	C("warmup", 0, OPT_DURATION, warmup, 0, 86400, NULL, "0", "SECS",
	  "seconds of traffic before measuring"),
	C("interval", 'i', OPT_DURATION, interval, 0.01, 3600, NULL, "1s", "SECS",
	  "seconds per interval record"),
	C("timeout", 0, OPT_DURATION, timeout, 0.01, 3600, NULL, "10s", "SECS",
	  "give up on a connection without progress for this long"),
	C("count", 'n', OPT_INT, count, 0, 1000000000, NULL, "0", "N",
	  "crr, xfer, chunk: stop after N transactions, 0 = run the duration"),
	C("records", 0, OPT_CHOICE, records, 0, 0, records_names, "auto", "WHICH",
	  "per-connection records: auto (not for crr), all, none"),
	C("out", 'o', OPT_STRING, out, 0, 0, NULL, "-", "FILE",
	  "JSON-lines output, - for standard output"),
	OPT_END_ROW
};

const struct opt load_server_table[] = {
	S("host", 0, OPT_STRING, host, 0, 0, NULL, "0.0.0.0", "ADDR", "address to listen on"),
	S("port", 'p', OPT_INT, port, 0, 65535, NULL, "5301", "PORT",
	  "first port, 0 = any free port"),
	S("ports", 0, OPT_INT, ports, 1, 1024, NULL, "1", "N", "listen on N consecutive ports"),
	S("threads", 'T', OPT_INT, threads, 0, 1024, NULL, "0", "N",
	  "worker threads, 0 = online CPUs"),
	S("backlog", 0, OPT_INT, backlog, 0, 1 << 20, NULL, "0", "N",
	  "listen queue length, 0 = the system maximum (somaxconn)"),
	S("accept-rate", 0, OPT_INT, accept_rate, 0, 100000000, NULL, "0", "N",
	  "accept at most N connections per second (a slow application), 0 = no limit"),
	S("interval", 'i', OPT_DURATION, interval, 0.01, 3600, NULL, "1s", "SECS",
	  "seconds per interval record"),
	S("duration", 't', OPT_DURATION, duration, 0, 86400 * 365, NULL, "0", "SECS",
	  "stop after this long, 0 = until SIGTERM or SIGINT"),
	S("records", 0, OPT_CHOICE, records, 0, 0, records_names, "auto", "WHICH",
	  "per-connection records: auto (those lasting an interval), all, none"),
	S("out", 'o', OPT_STRING, out, 0, 0, NULL, "-", "FILE",
	  "JSON-lines output, - for standard output"),
	S("ready-fd", 0, OPT_INT, ready_fd, -1, 65535, NULL, "-1", "FD",
	  "write the port to FD once listening (for perflab run)"),
	S("stop-on-eof", 0, OPT_BOOL, stop_on_eof, 0, 0, NULL, "no", NULL,
	  "stop when standard input ends (perflab run over ssh)"),
	OPT_END_ROW
};

static long online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? n : 1;
}

int load_client_resolve(struct load_client_opts *o)
{
	static const uint64_t default_size[] = { 0, 64, 10 << 20, 1 << 20 };

	if (!o->size)
		o->size = default_size[o->workload];
	if (!o->threads)
		o->threads = o->connections < online_cpus() ? o->connections : online_cpus();
	if (o->threads > o->connections)
		o->threads = o->connections;
	if (o->workload == LOAD_BULK && o->count)
		return error("'--count' does not apply to bulk; use '--duration'");
	if (o->burst && o->workload != LOAD_CRR)
		return error("'--burst' applies to the crr workload only");
	if (o->url && *o->url && o->workload != LOAD_CHUNK)
		return error("'--url' applies to the chunk workload only");
	if (o->url && *o->url && strncmp(o->url, "http://", 7))
		return error("unsupported URL '%s': only http:// is supported", o->url);
	if (o->direction == LOAD_UP && o->workload != LOAD_BULK && o->workload != LOAD_XFER)
		return error("'--direction up' applies to bulk and xfer only");
	if (o->rate && o->workload != LOAD_BULK && o->workload != LOAD_CHUNK)
		return error("'--rate' applies to bulk and chunk; crr and xfer run flat out");
	if (o->workload == LOAD_CHUNK && o->cc && strchr(o->cc, ','))
		return error("chunk cannot split stacks: HTTP servers choose their own");
	if (o->size > (uint64_t)1 << 40)
		return error("size '%llu' is too large", (unsigned long long)o->size);
	return 0;
}

/*
 * The tcptrace recorder alone, for measuring what it costs beside a
 * workload and for looking at its traces by hand:
 *
 *   build/bench/tcptrace-rec FILE PORT[,PORT...] [diag] [data] [reads] [nothin]
 *
 * diag: TCP_INFO only; data: tcp_probe for data segments too (probe_data);
 * reads: tcp_rcv_space_adjust too (app_reads); nothin: no probe thinning.
 * records until SIGINT or SIGTERM, then prints the loss accounting and
 * the recorder's own CPU time (user + system, seconds).
 */
#include "collectors/tcptrace.h"
#include "common/util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct tcptrace_opts o;
	struct tcptrace *t;
	struct tcprec_stats st;
	uint16_t ports[64];
	size_t n = 0;
	sigset_t sigs;
	int sig;

	if (argc < 3)
		die("usage: tcptrace-rec FILE PORT[,PORT...] [diag] [data] [reads] [nothin]");
	for (char *p = strtok(argv[2], ","); p && n < 64; p = strtok(NULL, ","))
		ports[n++] = (uint16_t)atoi(p);
	tcptrace_opts_init(&o);
	o.path = argv[1];
	o.ports = ports;
	o.nports = n;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "diag"))
			o.source = TCPTRACE_DIAG;
		else if (!strcmp(argv[i], "data"))
			o.probe_data = 1;
		else if (!strcmp(argv[i], "reads"))
			o.app_reads = 1;
		else if (!strcmp(argv[i], "nothin"))
			o.probe_gap_us = 0;
		else
			die("unknown option '%s' (diag, data, reads, nothin)", argv[i]);
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	if (tcptrace_start(&t, &o))
		return 1;
	fprintf(stderr, "tcptrace: recording (%s)\n", tcptrace_source(t));
	sigwait(&sigs, &sig);
	if (tcptrace_stop(t, &st))
		return 1;
	printf("events %llu written %llu lost %llu capped %llu foreign %llu unmatched %llu "
	       "samples %llu conns %llu destroyed %llu cpu_s %.3f\n",
	       (unsigned long long)st.events, (unsigned long long)st.written,
	       (unsigned long long)st.lost, (unsigned long long)st.capped,
	       (unsigned long long)st.foreign, (unsigned long long)st.unmatched,
	       (unsigned long long)st.samples, (unsigned long long)st.conns,
	       (unsigned long long)st.destroyed, cpu_s());
	return 0;
}

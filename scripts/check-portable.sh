#!/bin/sh
# make check-portable: compile the agent's sources as for FreeBSD, on this
# Linux machine. __FreeBSD__ is defined and __linux__ is not; the headers
# in scripts/portable/ stand in for FreeBSD's (sysctl, kqueue, libpmc,
# kld, its tcp_info and sendfile) and poison the Linux-only ones
# (<linux/*.h>, epoll, prctl, <sys/sendfile.h>...) with an #error, so a
# Linux call that is not behind __linux__ or in a -linux.c file fails
# here. It proves the code compiles, not that it runs: nothing is run.
cd "$(dirname "$0")/.." || exit 2
CC=${CC:-cc}
# The agent's sources: what perflab-agent links, with the FreeBSD files
# in place of the Linux ones (fingerprint-freebsd.c, pmc-freebsd.c).
FILES="harness/agent.c harness/cmd-collect.c harness/cmd-load.c harness/help.c
harness/subcmd.c common/cgroup.c common/fsutil.c common/hist.c common/json.c common/opt.c
common/parse.c common/progress.c common/sha256.c common/strbuf.c common/timeutil.c
common/util.c common/version.c workloads/client.c workloads/http.c workloads/load.c
workloads/loop.c workloads/poller.c workloads/proto.c workloads/server.c workloads/tcpstat.c
collectors/collector.c collectors/cpu.c collectors/cpustat.c collectors/fingerprint.c
collectors/fingerprint-freebsd.c collectors/freq.c collectors/net.c collectors/netstat.c
collectors/pmc-collector.c collectors/pmc-freebsd.c collectors/pmc.c collectors/pmccount.c
collectors/pmcmetrics.c collectors/pmcname.c collectors/topology.c collectors/tcptrace.c
collectors/tcprec.c collectors/tcpcheck.c collectors/tcpdiag.c collectors/tcpperf.c collectors/tcptp.c"
FLAGS="-std=gnu11 -D_GNU_SOURCE -U__linux__ -U__linux -U__gnu_linux__ -Ulinux
-D__FreeBSD__=14 -Iscripts/portable -I. -fsyntax-only -Wall -Wno-unused-parameter
-Wno-unused-function -Wno-missing-field-initializers"
PKG=$(${PKG_CONFIG:-pkg-config} --cflags hwloc jansson 2>/dev/null)
[ -f build/version.h ] || { echo "check-portable: run make first (build/version.h)"; exit 2; }
bad=0 n=0
for f in $FILES; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	if ! $CC $FLAGS $PKG "$f" 2>"${TMPDIR:-/tmp}/portable.$$"; then
		echo "check-portable: $f does not compile for FreeBSD:"
		grep -m 3 "error" "${TMPDIR:-/tmp}/portable.$$"
		bad=$((bad + 1))
	fi
done
rm -f "${TMPDIR:-/tmp}/portable.$$"
[ "$bad" = 0 ] && echo "check-portable: $n agent sources compile for FreeBSD (on stub headers)"
[ "$bad" = 0 ]

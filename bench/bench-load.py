#!/usr/bin/env python3
"""make bench, the workload part: perflab against its peer in the same run.

- bulk goodput against Debian's iperf3 on loopback, 1 and 8 connections,
  5 alternating runs of 5 s each, with the CPU seconds each side spent
  (server + client processes, from wait4);
- crr connections per second with a normal FIN close;
- 50,000 open connections on one host and the user memory each costs.

Medians and ratios are printed; nothing here is a pass/fail test.
"""
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

PERFLAB = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "perflab"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SECS = float(os.environ.get("BENCH_SECS", "5"))
TMP = tempfile.mkdtemp(prefix="perflab-bench-")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=10):
    """Wait until something listens on port, without connecting to it
    (iperf3 -s -1 would take a probe for its one client)."""
    end = time.time() + timeout
    while time.time() < end:
        out = subprocess.run(["ss", "-Hltn", "sport = :%d" % port], capture_output=True,
                             text=True).stdout
        if out.strip():
            return
        time.sleep(0.05)
    raise RuntimeError("nothing listens on port %d" % port)


def cpu_of(rusage):
    return rusage.ru_utime + rusage.ru_stime


def reap(proc, sig=None):
    if sig is not None:
        try:
            os.kill(proc.pid, sig)	# a zombie takes it too; poll() would reap it
        except ProcessLookupError:
            pass
    try:
        _, status, ru = os.wait4(proc.pid, 0)
    except ChildProcessError:	# reaped already: its CPU time is lost
        proc.wait()
        return float("nan")
    proc.returncode = os.waitstatus_to_exitcode(status)
    return cpu_of(ru)


def perflab_bulk(conns, extra=()):
    port = free_port()
    out = os.path.join(TMP, "client-%d.ndjson" % time.monotonic_ns())
    srv = subprocess.Popen([PERFLAB, "-q", "load", "server", "--host", "127.0.0.1",
                            "--port", str(port), "--out", "/dev/null"])
    time.sleep(0.3)
    cli = subprocess.Popen([PERFLAB, "-q", "load", "client", "--port", str(port),
                            "--connections", str(conns), "--duration", str(SECS),
                            "--out", out] + list(extra))
    ccpu = reap(cli)
    scpu = reap(srv, signal.SIGTERM)
    summ = [json.loads(l) for l in open(out) if '"summary"' in l][0]
    os.unlink(out)
    return summ["goodput_bps"], ccpu + scpu


def iperf3_bulk(conns):
    port = free_port()
    srv = subprocess.Popen(["iperf3", "-s", "-1", "-p", str(port)],
                           stdout=subprocess.DEVNULL)
    wait_port(port)
    cli = subprocess.Popen(["iperf3", "-c", "127.0.0.1", "-p", str(port), "-t", str(SECS),
                            "-P", str(conns), "-R", "-J"], stdout=subprocess.PIPE)
    text = cli.stdout.read()
    ccpu = reap(cli)
    scpu = reap(srv)
    d = json.loads(text)
    return d["end"]["sum_received"]["bits_per_second"], ccpu + scpu


def med(v):
    return statistics.median(v)


def bulk_table():
    print("bulk on loopback: %d alternating runs of %g s, server sends (iperf3 -R)" % (RUNS, SECS))
    print("%-34s %5s %12s %10s %14s" % ("", "conns", "Gbit/s", "CPU s", "CPU s/Gbit"))
    rows = []
    for conns in (1, 8):
        res = {"perflab": [], "perflab --recv-copy": [], "iperf3": []}
        for i in range(RUNS):
            order = [("perflab", lambda: perflab_bulk(conns)),
                     ("perflab --recv-copy", lambda: perflab_bulk(conns, ["--recv-copy"])),
                     ("iperf3", lambda: iperf3_bulk(conns))]
            if i % 2:
                order.reverse()
            for name, fn in order:
                res[name].append(fn())
        for name, v in res.items():
            g = med([x[0] for x in v]) / 1e9
            c = med([x[1] for x in v])
            cpg = med([x[1] / (x[0] / 1e9 * SECS) for x in v])
            print("%-34s %5d %12.2f %10.2f %14.4f" % (name, conns, g, c, cpg))
            rows.append((name, conns, g, cpg))
        base = [r for r in rows if r[0] == "iperf3" and r[1] == conns][0]
        for name in ("perflab", "perflab --recv-copy"):
            r = [x for x in rows if x[0] == name and x[1] == conns][0]
            print("  ratio %-26s %5d goodput %.2fx  CPU per Gbit/s %.2fx of iperf3" %
                  (name, conns, r[2] / base[2], r[3] / base[3]))
    print()


def crr_table():
    port = free_port()
    srv = subprocess.Popen([PERFLAB, "-q", "load", "server", "--host", "127.0.0.1",
                            "--port", str(port), "--out", "/dev/null"])
    time.sleep(0.3)
    print("crr on loopback (connect, 64-byte request, 64-byte response, FIN close)")
    for conns in (4, 16):
        tps, resets, p99 = [], [], []
        for i in range(RUNS):
            out = subprocess.run([PERFLAB, "-q", "load", "client", "--port", str(port),
                                  "--workload", "crr", "--connections", str(conns),
                                  "--duration", str(SECS)], capture_output=True,
                                 text=True, check=True).stdout
            s = [json.loads(l) for l in out.splitlines() if '"summary"' in l][0]
            tps.append(s["tps"])
            resets.append(s["errors"]["reset"])
            p99.append(s["latency_us"]["p99"])
        print("  %2d slots: %8.0f connections/s (median of %d; min %.0f, max %.0f), "
              "p99 %.0f us, resets %d" % (conns, med(tps), RUNS, min(tps), max(tps),
                                          med(p99), sum(resets)))
    reap(srv, signal.SIGTERM)
    print()


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def fd_limit():
    import resource
    return resource.getrlimit(resource.RLIMIT_NOFILE)[1]


def concurrency(total=50000):
    per = max(1, min(fd_limit() - 200, total))
    nproc = (total + per - 1) // per
    print("holding %d connections open on one host (%d server and %d client processes: "
          "the open-file hard limit here is %d per process)" % (total, nproc, nproc, fd_limit()))
    base_port = free_port()
    servers, clients, outs = [], [], []
    for i in range(nproc):
        port = base_port + 10 * i
        servers.append(subprocess.Popen([PERFLAB, "-q", "load", "server", "--host", "127.0.0.1",
                                         "--port", str(port), "--ports", "2", "--threads", "1",
                                         "--records", "none", "--out", "/dev/null"]))
    time.sleep(0.5)
    sbase = [rss_kb(p.pid) for p in servers]
    # a client holding one connection: the baseline of a client process
    probe = subprocess.Popen([PERFLAB, "-q", "load", "client", "--port", str(base_port),
                              "--connections", "1", "--rate", "1M", "--duration", "3",
                              "--threads", "1", "--records", "none", "--out", "/dev/null"])
    time.sleep(1.5)
    cbase = rss_kb(probe.pid)
    reap(probe)
    n_left = total
    for i in range(nproc):
        n = min(per, n_left)
        n_left -= n
        out = os.path.join(TMP, "held-%d.ndjson" % i)
        outs.append(out)
        clients.append(subprocess.Popen([PERFLAB, "-q", "load", "client", "--port",
                                         str(base_port + 10 * i), "--ports", "2",
                                         "--connections", str(n), "--threads", "1",
                                         "--rate", "10M", "--duration", "20", "--interval", "1",
                                         "--records", "none", "--out", out]))
    held = 0
    for _ in range(60):
        time.sleep(1)
        held = 0
        for out in outs:
            lines = [json.loads(l) for l in open(out) if '"interval"' in l]
            held += lines[-1]["conn_open"] if lines else 0
        if held >= total:
            break
    srss = [rss_kb(p.pid) for p in servers]
    crss = [rss_kb(p.pid) for p in clients]
    for p in clients:
        reap(p, signal.SIGTERM)
    for p in servers:
        reap(p, signal.SIGTERM)
    used = sum(srss) - sum(sbase) + sum(crss) - cbase * len(clients)
    print("  connections held: %d; RSS growth: servers %.1f MiB, clients %.1f MiB" %
          (held, (sum(srss) - sum(sbase)) / 1024, (sum(crss) - cbase * len(clients)) / 1024))
    print("  user memory per connection (both ends): %.0f bytes (target <= 10240)" %
          (used * 1024 / max(held, 1)))
    print()


def main():
    print("perflab %s" % subprocess.run([PERFLAB, "version"], capture_output=True,
                                        text=True).stdout.split("\n")[0].split()[1])
    print("iperf3: %s" % subprocess.run(["iperf3", "--version"], capture_output=True,
                                        text=True).stdout.split("\n")[0])
    print()
    parts = sys.argv[1:] or ["bulk", "crr", "concurrency"]
    if "bulk" in parts:
        bulk_table()
    if "crr" in parts:
        crr_table()
    if "concurrency" in parts:
        concurrency()


if __name__ == "__main__":
    try:
        main()
    finally:
        subprocess.run(["rm", "-rf", TMP])

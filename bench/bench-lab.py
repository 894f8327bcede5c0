#!/usr/bin/env python3
"""make bench, the lab: what the harness itself costs on the namespace lab.

- commands per second over ssh, with the shared ControlMaster connection
  perflab uses and with a new connection per command;
- the harness's own time per measured step (everything but build, boot
  and the workload itself), from run.json's harness_s, median of 5.
Needs root (network namespaces); says so and skips otherwise.
"""
import json
import os
import statistics
import subprocess
import tempfile
import time

PERFLAB = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "perflab"))
LAB = "pbench"


def host_keys(path, name):
    """The keys of one [host NAME] section of a hosts file."""
    keys, inside = {}, False
    for line in open(path):
        line = line.strip()
        if line.startswith("["):
            inside = line == "[host %s]" % name
        elif inside and " = " in line:
            k, v = line.split(" = ", 1)
            keys[k] = v
    return keys


def ssh_argv(h, ctl, reuse):
    opts = ["-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
            "-o", "UserKnownHostsFile=" + h["known_hosts"], "-o", "IdentityFile=" + h["identity"],
            "-o", "StrictHostKeyChecking=yes"]
    if reuse:
        opts += ["-o", "ControlMaster=auto", "-o", "ControlPath=%s/%%C" % ctl,
                 "-o", "ControlPersist=60"]
    else:
        opts += ["-o", "ControlMaster=no", "-o", "ControlPath=none"]
    return ["ip", "netns", "exec", h["netns"], "ssh"] + opts + ["-l", "root", "--", h["address"]]


def rate(argv, n):
    subprocess.run(argv + ["true"], check=True)
    t = time.monotonic()
    for _ in range(n):
        subprocess.run(argv + ["true"], check=True)
    return n / (time.monotonic() - t)


def main():
    if os.geteuid() != 0:
        print("lab benchmark: needs root for network namespaces; skipped")
        return
    tmp = tempfile.mkdtemp(prefix="perflab-bench-lab-")
    os.chdir(tmp)
    subprocess.run([PERFLAB, "-q", "lab", "up", "--name", LAB, "--clients", "2"], check=True,
                   stdout=subprocess.DEVNULL)
    try:
        h = host_keys("lab.hosts", "dut1")
        os.mkdir("ctl")
        reuse = rate(ssh_argv(h, os.path.abspath("ctl"), True), 50)
        fresh = rate(ssh_argv(h, None, False), 20)
        print("ssh commands to a lab host: %.0f/s over the shared connection, %.1f/s with a new "
              "connection each (%.1fx)" % (reuse, fresh, reuse / fresh))
        over = []
        for i in range(6):
            subprocess.run([PERFLAB, "-q", "run", "--hosts", "lab.hosts", "--connections", "4",
                            "--duration", "2", "--warmup", "0", "--results", "res"], check=True,
                           stdout=subprocess.DEVNULL)
            d = os.path.join("res", sorted(os.listdir("res"))[-1])
            m = json.load(open(os.path.join(d, "run.json")))
            over.append(sum(m["harness_s"].values()) - 2.0)
        print("harness overhead per measured step on the lab (1 DUT, 2 clients; all but the "
              "2 s workload):")
        print("  first run (connections and perflab installed): %.2f s" % over[0])
        print("  then: median %.2f s (min %.2f, max %.2f) over 5 runs; target < 2 s"
              % (statistics.median(over[1:]), min(over[1:]), max(over[1:])))
        print("  phases of the last run: %s" % ", ".join(
            "%s %.2f" % (k, v) for k, v in sorted(m["harness_s"].items())))
    finally:
        subprocess.run([PERFLAB, "-q", "lab", "down", "--name", LAB], stdout=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()

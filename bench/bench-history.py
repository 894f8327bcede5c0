#!/usr/bin/env python3
"""make bench, the history part: indexing run directories and querying them.

One real run (`perflab run --duration 1`) gives the shape of run.json,
summary.json and fingerprint.json; RUNS_N synthetic run directories are
made from it (distinct ids, start times and numbers). Then, each
REPEAT times, alternating:

- index all: `perflab history --rebuild` from no database: read every
  run directory (three JSON files), flatten summary.json, insert in one
  transaction;
- the peer: the `sqlite3` command-line tool running a SQL script of the
  very same rows (the `.dump` of perflab's database: schema, every runs
  and metrics row, one transaction), without reading any JSON;
- add one run: `perflab history --add DIR` into the full index (what
  the end of every `perflab run` pays), against `sqlite3` running that
  run's own rows as a script;
- query: one metric over every run, `perflab history --metric M --plain`
  against `sqlite3` with the same join; the outputs are checked equal.

Medians of wall time (whole processes, what a user or a script waits)
and the ratios perflab / sqlite3 are printed; nothing is pass/fail.
"""
import datetime
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

PERFLAB = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "perflab"))
RUNS_N = int(os.environ.get("BENCH_HISTORY_RUNS", "1000"))
REPEAT = int(os.environ.get("BENCH_RUNS", "5"))
ADDS = 10
TMP = tempfile.mkdtemp(prefix="perflab-bench-history-")
QUERY = ("SELECT printf('%.3f', r.started_s), m.value FROM runs r JOIN metrics m"
         " ON m.run_id = r.run_id AND m.name = 'goodput_bps'"
         " WHERE r.status = 'complete' AND r.started_s IS NOT NULL"
         " ORDER BY r.started_s, r.run_id;")


def run(argv, **kw):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          **kw)


def timed(argv, **kw):
    t0 = time.perf_counter()
    p = run(argv, **kw)
    return time.perf_counter() - t0, p.stdout


def seed_run():
    seed = os.path.join(TMP, "seed")
    run([PERFLAB, "-q", "run", "--duration", "1", "--warmup", "0", "--results", seed])
    d = [e for e in os.listdir(seed) if not e.startswith(".")][0]
    return os.path.join(seed, d)


def scaled(obj, f):
    """The summary with every number scaled by f: distinct but shaped alike."""
    if isinstance(obj, dict):
        return {k: scaled(v, f) for k, v in obj.items()}
    if isinstance(obj, bool) or not isinstance(obj, (int, float)):
        return obj
    return obj * f


def make_runs(seed, results, n, first):
    with open(os.path.join(seed, "run.json")) as f:
        meta = json.load(f)
    with open(os.path.join(seed, "summary.json")) as f:
        summary = json.load(f)
    fp = os.path.join(seed, "fingerprint.json")
    rng = random.Random(first)
    names = []
    base = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    for i in range(first, first + n):
        t = base + datetime.timedelta(minutes=10 * i)
        rid = t.strftime("%Y%m%dT%H%M%SZ") + "-bulk-%04x" % i
        d = os.path.join(results, rid)
        os.makedirs(d)
        meta.update(run_id=rid, label="k%d" % (i % 3),
                    started_utc=t.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
        with open(os.path.join(d, "run.json"), "w") as f:
            json.dump(meta, f, indent=2)
        with open(os.path.join(d, "summary.json"), "w") as f:
            json.dump(scaled(summary, rng.gauss(1.0, 0.05)), f, indent=2)
        shutil.copy(fp, d)
        names.append(rid)
    return names


def dump_sql(db, out, where=None):
    """perflab's rows as a SQL script the sqlite3 tool runs (the peer's input)."""
    if where is None:
        text = run(["sqlite3", db, ".dump"]).stdout
    else:
        rows = run(["sqlite3", db, ".mode insert runs",
                    "SELECT * FROM runs WHERE run_id = '%s';" % where]).stdout
        rows += run(["sqlite3", db, ".mode insert metrics",
                     "SELECT * FROM metrics WHERE run_id = '%s';" % where]).stdout
        text = b"BEGIN;\n" + rows + b"COMMIT;\n"
    with open(out, "wb") as f:
        f.write(text)


def rm_db(results):
    for suffix in ("", "-wal", "-shm"):
        p = os.path.join(results, ".history.sqlite" + suffix)
        if os.path.exists(p):
            os.unlink(p)


def bench_index(res, peer_db, script):
    t_perflab, t_peer = [], []
    for _ in range(REPEAT):
        rm_db(res)
        t, _ = timed([PERFLAB, "-q", "history", "--rebuild", "--results", res])
        t_perflab.append(t)
        if os.path.exists(peer_db):
            os.unlink(peer_db)
        with open(script, "rb") as f:
            t, _ = timed(["sqlite3", peer_db], stdin=f)
        t_peer.append(t)
    return t_perflab, t_peer


def bench_add(seed, res, peer_db, tmpl_db):
    """Add ADDS new runs one by one to the full index; the peer runs each one's rows."""
    extra = make_runs(seed, res, ADDS, RUNS_N)
    t_perflab, t_peer = [], []
    for rid in extra:
        t, _ = timed([PERFLAB, "-q", "history", "--add", os.path.join(res, rid)])
        t_perflab.append(t)
    db = os.path.join(res, ".history.sqlite")
    for rid in extra:
        script = os.path.join(TMP, "one.sql")
        dump_sql(db, script, rid)
        with open(script, "rb") as f:
            t, _ = timed(["sqlite3", peer_db], stdin=f)
        t_peer.append(t)
    return t_perflab, t_peer


def bench_query(res, peer_db):
    t_perflab, t_peer, outs = [], [], []
    for _ in range(REPEAT):
        t, a = timed([PERFLAB, "-q", "history", "--results", res, "--metric", "goodput_bps",
                      "--plain"])
        t_perflab.append(t)
        t, b = timed(["sqlite3", "-separator", " ", peer_db, QUERY])
        t_peer.append(t)
        outs = (a, b)
    ours = [l.split() for l in outs[0].decode().splitlines()]
    theirs = [l.split() for l in outs[1].decode().splitlines()]
    same = len(ours) == len(theirs) and all(
        x[0] == y[0] and abs(float(x[1]) - float(y[1])) <= 1e-9 * abs(float(y[1]))
        for x, y in zip(ours, theirs))
    return t_perflab, t_peer, len(ours), same


def line(name, t):
    print("  %-46s %9.1f ms   min %.1f  max %.1f" %
          (name, statistics.median(t) * 1e3, min(t) * 1e3, max(t) * 1e3))


def main():
    seed = seed_run()
    res = os.path.join(TMP, "results")
    os.makedirs(res)
    make_runs(seed, res, RUNS_N, 0)
    run([PERFLAB, "-q", "history", "--rebuild", "--results", res])
    script = os.path.join(TMP, "all.sql")
    dump_sql(os.path.join(res, ".history.sqlite"), script)
    metrics = int(run(["sqlite3", os.path.join(res, ".history.sqlite"),
                       "SELECT count(*) FROM metrics"]).stdout)
    peer_db = os.path.join(TMP, "peer.sqlite")
    ip, iq = bench_index(res, peer_db, script)
    qp, qq, nq, same = bench_query(res, peer_db)
    ap, aq = bench_add(seed, res, peer_db, script)
    print("history: %d run directories, %d metric rows (%.0f per run); median of %d, wall ms"
          % (RUNS_N, metrics, metrics / RUNS_N, REPEAT))
    line("index all: perflab history --rebuild", ip)
    line("the same rows: sqlite3 < script (peer)", iq)
    print("  ratio rebuild / sqlite3                        %.2f   (%.0f us per run)"
          % (statistics.median(ip) / statistics.median(iq), statistics.median(ip) / RUNS_N * 1e6))
    line("add one run: perflab history --add (%d)" % ADDS, ap)
    line("its rows: sqlite3 < script (peer)", aq)
    print("  ratio add / sqlite3                            %.2f"
          % (statistics.median(ap) / statistics.median(aq)))
    line("query goodput_bps: perflab history --plain", qp)
    line("the same join: sqlite3 (peer)", qq)
    print("  ratio query / sqlite3                          %.2f   (%d values, %s)"
          % (statistics.median(qp) / statistics.median(qq), nq,
             "identical" if same else "DIFFERENT"))
    shutil.rmtree(TMP)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

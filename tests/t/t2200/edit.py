#!/usr/bin/env python3
"""How the t2200 fixtures were made: real.json is `perflab fingerprint --json`
taken on the Debian 12 VM the suite runs on (no cpufreq there); the others
are edits of it. Rerun after a format change: python3 edit.py (in this folder).

- cpufreq-a.json: real.json as on an Intel host with cpufreq: intel_pstate,
  powersave, EPP balance_performance, one policy group for CPUs 0-1;
- cpufreq-b.json: cpufreq-a.json with only the frequency driver's name
  changed (acpi-cpufreq), as when another driver attaches;
- many-b.json: cpufreq-b.json plus a sysctl (net.core.rmem_max), a module
  added (sch_fq) and another kernel release.
Each gets the sha256 perflab would give it (python's sorted compact JSON is
jansson's canonical form for these documents).
"""
import copy
import hashlib
import json


def save(name, d):
    d = copy.deepcopy(d)
    d.pop("sha256", None)
    canon = json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    d["sha256"] = hashlib.sha256(canon.encode()).hexdigest()
    with open(name, "w") as f:
        json.dump(d, f, indent=2, sort_keys=True)
        f.write("\n")


real = json.load(open("real.json"))
a = copy.deepcopy(real)
a["cpufreq"].update({
    "driver": "intel_pstate", "governor": "powersave", "epp": "balance_performance",
    "intel_pstate_status": "active", "intel_pstate_no_turbo": "0",
    "policies": {"0-1": {"governor": "powersave", "epp": "balance_performance",
                         "min_khz": 800000, "max_khz": 3700000,
                         "scaling_min_khz": 800000, "scaling_max_khz": 3700000,
                         "available_khz": None}},
})
save("cpufreq-a.json", a)
b = copy.deepcopy(a)
b["cpufreq"]["driver"] = "acpi-cpufreq"
save("cpufreq-b.json", b)
m = copy.deepcopy(b)
m["sysctl"]["net.core.rmem_max"] = "212992"
m["modules"] = sorted((m["modules"] or []) + ["sch_fq"])
m["kernel"]["release"] = "6.18.45-fc-v783"
save("many-b.json", m)

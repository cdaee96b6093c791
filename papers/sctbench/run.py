#!/usr/bin/env python3
"""SCTBench (Thomson, Donaldson & Betts) on simbus: schedules to the first bug per
technique, each with a budget of 100,000 schedules. Writes results.md next to this file
(RESULTS.md quotes it). Usage: papers/sctbench/run.py [--budget N] [--only NAME...]"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

BENCHMARKS = [
    ("account", "sct-account", []),
    ("bluetooth_driver", "sct-bluetooth-driver", []),
    ("carter01", "sct-carter01", []),
    ("circular_buffer", "sct-circular-buffer", []),
    ("deadlock01", "sct-deadlock01", []),
    ("din_phil3", "sct-din-phil", ["n=3"]),
    ("lazy01", "sct-lazy01", []),
    ("phase01", "sct-phase01", []),
    ("reorder_3", "sct-reorder", ["n=3"]),
    ("reorder_4", "sct-reorder", ["n=4"]),
    ("reorder_5", "sct-reorder", ["n=5"]),
    ("reorder_10", "sct-reorder", ["n=10"]),
    ("reorder_20", "sct-reorder", ["n=20"]),
    ("stack", "sct-stack", []),
    ("sync01", "sct-sync01", []),
    ("sync02", "sct-sync02", []),
    ("token_ring", "sct-token-ring", []),
    ("twostage", "sct-twostage", []),
    ("twostage_100", "sct-twostage", ["writers=100"]),
    ("wronglock", "sct-wronglock", []),
    ("wronglock_3", "sct-wronglock", ["b=3"]),
]

TIME_LIMIT_S = 300  # per technique and benchmark: a safety net, reported if it bites


def first_bug_enumerating(scenario, params, strategy, budget):
    r = common.explore(scenario, params, strategy, runs=budget, stop_on_fail=True, time_limit=TIME_LIMIT_S)
    return r


def iterative(scenario, params, kind, budget):
    """Iterative bounding: bound 0, 1, 2, ...; schedules counted cumulatively over the
    bounds (each bound's DFS re-runs the schedules of lower bounds)."""
    used = 0
    previous_total = -1
    for bound in range(0, 64):
        left = budget - used
        if left <= 0:
            return {"found": False, "schedules": used, "bound": None, "note": "budget"}
        r = common.explore(scenario, params, f"dfs:{kind}:{bound}", runs=left, stop_on_fail=True,
                           time_limit=TIME_LIMIT_S)
        used += r["executions"]
        if r["failures"] > 0:
            return {"found": True, "schedules": used, "bound": bound, "note": ""}
        if r["stopped"] == "time-limit":
            return {"found": False, "schedules": used, "bound": None, "note": "time"}
        if not r["exhausted"]:
            return {"found": False, "schedules": used, "bound": None, "note": "budget"}
        if r["executions"] == previous_total:
            return {"found": False, "schedules": used, "bound": None, "note": "space exhausted"}
        previous_total = r["executions"]
    return {"found": False, "schedules": used, "bound": None, "note": "bound 63"}


def cell(found, schedules, extra=""):
    if found:
        return f"{schedules}{extra}"
    return f"✗ ({schedules}{extra})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=int, default=100_000)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--out", default="results.md")
    args = ap.parse_args()
    budget = args.budget
    lines = []
    lines.append(f"machine: {common.machine()}; budget {budget} schedules per technique; "
                 f"time limit {TIME_LIMIT_S}s per cell")
    lines.append("")
    lines.append("| benchmark | steps k | DFS | IPB (bound) | IDB (bound) | random | PCT d=1 | PCT d=2 | PCT d=3 |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    found_count = {t: 0 for t in ["dfs", "ipb", "idb", "random", "pct1", "pct2", "pct3"]}
    for name, scenario, params in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        k = common.steps_of(scenario, params)
        row = [name, str(k)]
        r = first_bug_enumerating(scenario, params, "dfs", budget)
        found = r["failures"] > 0
        found_count["dfs"] += found
        note = "" if found or r["exhausted"] or r["stopped"] != "time-limit" else " t/o"
        if not found and r["exhausted"]:
            note = " all"
        row.append(cell(found, r["executions"], note))
        for kind, key in (("preempt", "ipb"), ("delay", "idb")):
            it = iterative(scenario, params, kind, budget)
            found_count[key] += it["found"]
            row.append(cell(it["found"], it["schedules"], f" ({it['bound']})" if it["found"] else ""))
        r = common.explore(scenario, params, "random", runs=budget, stop_on_fail=True, time_limit=TIME_LIMIT_S)
        found = r["failures"] > 0
        found_count["random"] += found
        row.append(cell(found, r["executions"]))
        for d in (1, 2, 3):
            r = common.explore(scenario, params, f"pct:{d}:{max(k, d)}", runs=budget, stop_on_fail=True,
                               time_limit=TIME_LIMIT_S)
            found = r["failures"] > 0
            found_count[f"pct{d}"] += found
            row.append(cell(found, r["executions"]))
        lines.append("| " + " | ".join(row) + " |")
        print(lines[-1], flush=True)
    lines.append("")
    lines.append("bugs found (of %d): " % sum(1 for b in BENCHMARKS if not args.only or b[0] in args.only) +
                 ", ".join(f"{t} {n}" for t, n in found_count.items()))
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), args.out)
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines[-1:]))


if __name__ == "__main__":
    main()

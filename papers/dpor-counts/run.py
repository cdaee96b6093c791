#!/usr/bin/env python3
"""DPOR benchmark counts: complete executions explored by `dpor` (optimal DPOR with wakeup
trees) and `dpor-source` (source-DPOR + sleep sets) against the number of Mazurkiewicz
traces and against `dfs`. Part A: brute force
(every interleaving by dfs, grouped by trace) from the test binary's DporTable; part B:
`simbus explore` on the built-in scenarios for larger N. Writes results.md next to this
file. Usage: run.py [--quick]"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

TESTS = os.environ.get("SIMBUS_SIM_TESTS", os.path.join(os.path.dirname(common.SIMBUS), "simbus_sim_tests"))


def reference(scenario, n):
    if scenario == "readers-writers":
        return str(2 ** n)
    if scenario == "dpor-filesystem":
        # Fiber t starts at block (2t mod 26): fibers t and t+13 contend for one block and
        # nothing else interacts, so each contended pair doubles the traces.
        return str(2 ** max(0, min(n, 26) - 13))
    return "—"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    lines = [f"machine: {common.machine()}", "", "### A. Brute force: every interleaving, grouped by trace", ""]
    proc = subprocess.run([TESTS, "--gtest_filter=DporTable.*", "--gtest_also_run_disabled_tests"],
                          capture_output=True, text=True)
    lines += [l for l in proc.stdout.splitlines() if l.startswith("|")]
    lines += ["", "### B. `simbus explore` on the scenarios", "",
              "| scenario | N | traces (reference) | dpor executions | dpor blocked | exhausted | dpor s | "
              "dpor-source executions | dpor-source blocked | dpor-source s | dfs executions | dfs exhausted | dfs s |",
              "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|---:|"]
    cases = [("readers-writers", list(range(1, 13))),
             ("dpor-lastzero", list(range(1, 9))),
             ("dpor-indexer", list(range(10, 16))),
             ("dpor-filesystem", list(range(12, 21)))]
    if args.quick:
        cases = [(s, ns[:3]) for s, ns in cases]
    for scenario, ns in cases:
        for n in ns:
            params = [f"n={n}"]
            d = common.explore(scenario, params, "dpor", time_limit=300)
            src = common.explore(scenario, params, "dpor-source", time_limit=300)
            f = common.explore(scenario, params, "dfs", runs=200_000, time_limit=20)
            lines.append(f"| {scenario} | {n} | {reference(scenario, n)} | {d['executions']} | {d['blocked']} | "
                         f"{'yes' if d['exhausted'] else 'no'} | {d['seconds']:.2f} | {src['executions']} | "
                         f"{src['blocked']} | {src['seconds']:.2f} | {f['executions']} | "
                         f"{'yes' if f['exhausted'] else 'no'} | {f['seconds']:.2f} |")
            print(lines[-1], flush=True)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.md")
    with open(out, "w") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The bug zoo in one table (docs/bug-zoo.md): for every seeded bug, how many of 1,000 seeds
of the scenario that catches it fail, into how many signature groups, and how far one of
its failures shrinks, in how long.

For each bug of tests/scenarios/bug_zoo_test.cc (scenario, seed, check):
`simbus explore SCENARIO --bug BUG --runs N --json` gives the failing seeds and the groups by
signature (docs/cli.md: the check, the site, the message with numbers abstracted); then
tools/shrink_zoo.py's shrink of the zoo's seed gives the ratio of choices kept and the time,
and its replay must fail with the same signature.

usage: tools/bug_zoo.py BUILD/bin/simbus [--runs N] [--jobs J]
The seconds are wall time: run it on a quiet machine (or under /tmp/simbus-build.lock).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shrink_zoo import arrow, value, zoo  # noqa: E402


def explore(simbus, scenario, bug, runs, jobs, tmp):
    report = os.path.join(tmp, f"{bug}.json")
    start = time.monotonic()
    r = subprocess.run([simbus, "explore", scenario, "--bug", bug, "--runs", str(runs), "--jobs", str(jobs),
                        "--no-progress", "--json", report], capture_output=True, text=True)
    seconds = time.monotonic() - start
    if r.returncode not in (0, 1):
        sys.exit(f"bug_zoo: explore {scenario} --bug {bug} exited {r.returncode}: {r.stderr}")
    with open(report, encoding="utf-8") as f:
        return json.load(f), seconds


def shrink(simbus, scenario, seed, bug, check, tmp):
    trace = os.path.join(tmp, bug + ".trace")
    small = os.path.join(tmp, bug + ".small")
    r = subprocess.run([simbus, "run", scenario, "--seed", seed, "--bug", bug, "--trace", trace],
                       capture_output=True, text=True)
    if r.returncode != 1:
        return None
    s = subprocess.run([simbus, "shrink", trace, "-o", small], capture_output=True, text=True)
    p = subprocess.run([simbus, "replay", small], capture_output=True, text=True)
    same = s.returncode == 1 and p.returncode == 1 and any(
        line.startswith("FAIL " + check + ":") for line in p.stdout.splitlines())
    c0, c1 = arrow(s.stdout, "choices")
    return {"c0": c0, "c1": c1, "ratio": c1 / c0 if c0 else 1.0, "seconds": float(value(s.stdout, "seconds") or 0),
            "budget": "budget hit" in value(s.stdout, "attempts"), "same": same}


def main():
    parser = argparse.ArgumentParser(prog="tools/bug_zoo.py")
    parser.add_argument("simbus")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for bug, scenario, seed, check in zoo():
            report, explore_s = explore(args.simbus, scenario, bug, args.runs, args.jobs, tmp)
            rows.append((bug, scenario, seed, check, report, explore_s,
                         shrink(args.simbus, scenario, seed, bug, check, tmp)))
            print(f"bug_zoo: {bug} done", file=sys.stderr)
    print(f"| bug | scenario | failing seeds of {args.runs} | signature groups | groups: check × failing seeds | "
          "explore s | shrunk (zoo seed): choices | ratio | shrink s | replays, same signature |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    groups_all, ratios, seconds = [], [], []
    for bug, scenario, seed, check, report, explore_s, sh in rows:
        groups = report.get("groups", [])
        groups_all.append(len(groups))
        by_check = ", ".join(f"{g['check']} × {g['count']}" for g in groups) or "none"
        if sh is None:
            shrunk = f"seed {seed} does not fail | | | |"
        else:
            ratios.append(sh["ratio"])
            seconds.append(sh["seconds"])
            shrunk = (f"seed {seed}: {sh['c0']} → {sh['c1']} | {100 * sh['ratio']:.1f}% | {sh['seconds']:.1f}"
                      f"{' (budget hit)' if sh['budget'] else ''} | {'yes' if sh['same'] else 'NO'} |")
        print(f"| {bug} | {scenario} | {len(report.get('failures', []))} | {len(groups)} | {by_check} | "
              f"{explore_s:.1f} | {shrunk}")
    print()
    print(f"{len(rows)} bugs: signature groups per bug median {statistics.median(groups_all):g}, "
          f"max {max(groups_all)}; shrink median ratio {100 * statistics.median(ratios):.1f}% of the original "
          f"choices, median {statistics.median(seconds):.1f} s, max {max(seconds):.1f} s")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The seed sweep behind targets/libraft/RESULTS.md: every libraft scenario (and the
variants that look past a known library bug) over N seeds, with failures per check and
executions per second. Prints a Markdown table; --json keeps every failure.

  targets/libraft/sweep.py --simbus build/bin/simbus --seeds 10000 --jobs 2
"""
import argparse
import collections
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

# (scenario, params): the plain scenarios, then the ones that look past a violation to
# show what it leads to (tolerate=), and the membership scenario with compaction, which
# the suites leave out because it crashes the library.
RUNS = [
    ("libraft-smoke", []),
    ("libraft-partitions", []),
    ("libraft-crash-restart", []),
    ("libraft-crash-voter", []),
    ("libraft-clock-skew", []),
    ("libraft-slow-disk", []),
    ("libraft-snapshots", []),
    ("libraft-transfer", []),
    ("libraft-membership", ["snapshot_threshold=1000000"]),
    ("libraft-membership", []),
    ("libraft-mixed", []),
    ("libraft-disk-faults", []),
    ("libraft-disk-faults", ["tolerate=1"]),
    ("libraft-disk-faults", ["tolerate=3"]),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--simbus", default="build/bin/simbus")
    ap.add_argument("--seeds", type=int, default=10000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", help="write every run's failures here")
    ap.add_argument("--only", help="run only this scenario")
    args = ap.parse_args()
    if args.seeds < 1 or args.jobs < 1:
        sys.exit("sweep.py: --seeds and --jobs must be at least 1")
    rows, kept = [], []
    print("| scenario | params | seeds | failures by check | executions/s (wall, %d jobs) | CPU s |" % args.jobs)
    print("|---|---|---:|---|---:|---:|")
    for scenario, params in RUNS:
        if args.only and scenario != args.only:
            continue
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
            out = f.name
        cmd = [args.simbus, "explore", scenario, "--runs", str(args.seeds), "--jobs", str(args.jobs), "--json", out]
        for p in params:
            cmd += ["--param", p]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if proc.returncode not in (0, 1):
            sys.exit("sweep.py: %s exited %d: %s" % (" ".join(cmd), proc.returncode, proc.stderr[-2000:]))
        with open(out) as f:
            report = json.load(f)
        os.unlink(out)
        by_check = collections.Counter(x["check"] for x in report["failures"])
        failures = ", ".join("%s %d" % (c, n) for c, n in sorted(by_check.items())) or "none"
        print("| %s | %s | %d | %s | %.0f | %.0f |" % (scenario, " ".join(params) or "-", report["executions"],
                                                      failures, report["executions"] / wall, cpu), flush=True)
        kept.append({"scenario": scenario, "params": params, "executions": report["executions"],
                     "wall_s": wall, "cpu_s": cpu, "failures": report["failures"]})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(kept, f, indent=1)


if __name__ == "__main__":
    main()

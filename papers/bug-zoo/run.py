#!/usr/bin/env python3
"""The bug zoo: every seeded broker bug (`simbus bugs`) x strategies x a budget.

A seed *finds* a bug when the run with `--bug B` fails and the same seed, strategy,
parameters and scenario without the bug pass (differential: the broker's own unseeded
failures, if any, are not credited to the bug).

Per bug and strategy, over R seed ranges of N seeds each (range r is seeds r*N+1 ..
(r+1)*N): `simbus explore SCEN --bug B --stop-on-fail` from the range's first seed; a
failing seed is run again without the bug (`simbus run`), and if that fails too the
search goes on from the next seed. Reports whether the bug was found, in how many ranges,
the median runs and median seconds (wall, explore calls only) to the first finding, and
the failing checks. The "partitions" column is `random` with `--param faults=1`: the
scenario's workload under random partitions only (scenarios/broker_cluster.h).

Each explore call gets a wall limit (`--time-limit`, checked between executions) and a
hard kill a little later (one execution that runs away); such ranges are reported as
"ran away" and count as not found.

Then the first finding of each bug (first strategy column that found it, its first range)
is recorded with `simbus run --trace` and shrunk with `simbus shrink` under a time limit;
the sizes simbus prints (choices, steps, context switches, non-zero data choices) before
-> after.

Writes results.md (or --out) next to this file, one row as soon as it is measured, and a
JSON file with every range's raw numbers.
Usage: run.py [--runs N] [--ranges R] [--only BUG...] [--skip BUG...] [--strategies COL...]
       [--shrink-seconds S] [--cell-seconds S] [--deadline-minutes M] [--out FILE]"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# The scenario that catches each bug (tests/scenarios/bug_zoo_test.cc names it and a seed).
# None: no scenario catches it yet; FIGURE8_SCENARIOS are tried for it (a scripted figure-8
# scenario was being added when this ran) and the row says "pending" if none exists.
SCENARIO_OF = {
    "vote_before_persist": "crash-after-vote",
    "commit_previous_term_by_count": None,
    "append_from_stale_term": "partition-majority",
    "truncate_on_matching_prefix": "retry-storm",
    "append_reply_before_fsync": "crash-restart-all",
    "snapshot_over_newer_log": "snapshot-catchup",
    "publish_ack_before_commit": "retry-storm",
    "lease_read_ignores_skew": "lease-reads-skew",
    "follower_local_read": "retry-storm",
    "fanout_unordered_workers": "broker-smoke",
    "presence_remove_on_first_close": "presence-churn",
    "registry_update_without_lock": "connect-churn",
    "resume_off_by_one": "connect-churn",
    "retry_applied_twice": "retry-storm",
    "client_event_echoed": "broker-smoke",
}
FIGURE8_SCENARIOS = ["raft-figure8", "figure8", "figure-8", "raft-figure-8"]

# Column name -> (strategy, extra --param values).
STRATEGIES = [
    ("random", "random", []),
    ("pct:1", "pct:1", []),
    ("pct:2", "pct:2", []),
    ("pct:3", "pct:3", []),
    ("delay:2", "delay:2", []),
    ("partitions", "random", ["faults=1"]),
]
CALL_LIMIT_S = 20      # --time-limit of one explore call (checked between executions)
KILL_MARGIN_S = 20     # after this much more, the call is killed: one execution ran away
SHRINK_TRIES = 3       # findings shrunk at most per bug (when shrinking one fails)
RUN_LIMIT_S = 60       # one `simbus run` (the no-bug check, the trace for shrinking)


def param_args(params):
    out = []
    for p in params:
        out += ["--param", p]
    return out


def explore_until_failure(scenario, strategy, params, bug, seed_start, runs):
    """One explore call with --stop-on-fail. Returns (first failing seed or None, its check,
    executions, seconds, error or None)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        path = tmp.name
    args = [common.SIMBUS, "explore", scenario, "--strategy", strategy, "--bug", bug, "--runs", str(runs),
            "--seed-start", str(seed_start), "--jobs", "1", "--stop-on-fail", "--json", path,
            "--time-limit", str(CALL_LIMIT_S)] + param_args(params)
    start = time.monotonic()
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=CALL_LIMIT_S + KILL_MARGIN_S)
    except subprocess.TimeoutExpired:
        os.path.exists(path) and os.unlink(path)
        return None, None, 0, time.monotonic() - start, "ran away"
    seconds = time.monotonic() - start
    try:
        with open(path) as f:
            report = json.load(f)
    except (OSError, ValueError):
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1][:120]
        if proc.returncode < 0:
            # One execution aborted the process (a core assertion tripped by the bug):
            # explore wrote no report. search_range finds the seed run by run.
            return None, None, 0, seconds, "aborted: " + last
        return None, None, 0, seconds, f"explore exited {proc.returncode}: {last}"
    finally:
        if os.path.exists(path):
            os.unlink(path)
    failures = sorted(report["failures"], key=lambda f: f["seed"])
    executions = report.get("executions", 0)
    if report.get("stopped_by") == "time-limit" and not failures:
        return None, None, executions, seconds, "time limit"
    if not failures:
        return None, None, executions, seconds, None
    return failures[0]["seed"], failures[0]["check"], executions, seconds, None


def passes_without_bug(scenario, strategy, params, seed):
    args = [common.SIMBUS, "run", scenario, "--seed", str(seed), "--strategy", strategy] + param_args(params)
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=RUN_LIMIT_S)
    except subprocess.TimeoutExpired:
        return False
    return proc.returncode == 0


def error_text(stderr_line):
    m = re.search(r"assertion failed: (.*) at .*/([a-z_]+/[a-z_]+\.cc:\d+)", stderr_line)
    return f"{m.group(1)} at {m.group(2)}" if m else stderr_line[:80]


def first_aborting_seed(scenario, strategy, params, bug, seed, end):
    """Runs seeds one by one from `seed` until one aborts the process. Returns (seed or
    None, its last stderr line, runs, seconds)."""
    start = time.monotonic()
    for s in range(seed, end):
        args = [common.SIMBUS, "run", scenario, "--seed", str(s), "--strategy", strategy, "--bug", bug]
        try:
            proc = subprocess.run(args + param_args(params), capture_output=True, text=True, timeout=RUN_LIMIT_S)
        except subprocess.TimeoutExpired:
            continue
        if proc.returncode < 0:
            return s, (proc.stderr.strip().splitlines() or [""])[-1], s - seed + 1, time.monotonic() - start
    return None, None, end - seed, time.monotonic() - start


def search_range(scenario, strategy, params, bug, seed_start, runs):
    """The first seed of the range that finds the bug. Returns a dict: found (bool), seed,
    check, runs (to the finding, or executed), seconds, discarded (seeds failing without
    the bug too), error."""
    seed, end = seed_start, seed_start + runs
    seconds, executions, discarded = 0.0, 0, []
    while seed < end:
        failing, check, ran, took, error = explore_until_failure(scenario, strategy, params, bug, seed, end - seed)
        seconds += took
        if error and error.startswith("aborted: "):
            failing, check, ran, took = first_aborting_seed(scenario, strategy, params, bug, seed, end)
            seconds += took
            if failing is None:
                error = "aborted, but no single run did"
            else:
                error = None
                check = "abort (" + error_text(check) + ")"
        if error:
            return {"found": False, "runs": executions + ran, "seconds": seconds, "discarded": discarded,
                    "error": error}
        if failing is None:
            return {"found": False, "runs": executions + ran, "seconds": seconds, "discarded": discarded}
        executions += failing - seed + 1
        if passes_without_bug(scenario, strategy, params, failing):
            return {"found": True, "seed": failing, "check": check, "runs": failing - seed_start + 1,
                    "seconds": seconds, "discarded": discarded}
        discarded.append(failing)
        seed = failing + 1
    return {"found": False, "runs": executions, "seconds": seconds, "discarded": discarded}


def shrink(scenario, strategy, params, bug, seed, seconds):
    """Records the failing run and shrinks it. Returns the size lines simbus prints."""
    with tempfile.TemporaryDirectory() as d:
        trace, small = os.path.join(d, "failing.trace"), os.path.join(d, "small.trace")
        args = [common.SIMBUS, "run", scenario, "--seed", str(seed), "--strategy", strategy, "--bug", bug,
                "--trace", trace] + param_args(params)
        try:
            subprocess.run(args, capture_output=True, text=True, timeout=RUN_LIMIT_S)
            start = time.monotonic()
            proc = subprocess.run([common.SIMBUS, "shrink", trace, "-o", small, "--time-limit", str(seconds)],
                                  capture_output=True, text=True, timeout=seconds + RUN_LIMIT_S)
        except subprocess.TimeoutExpired:
            return {"error": "ran away"}
        took = time.monotonic() - start
    sizes = {"seconds": round(took, 1)}
    for line in proc.stdout.splitlines():
        m = re.match(r"^(choices|steps|context-switches|nonzero-data-choices|attempts|check): (.*)$", line)
        if m:
            sizes[m.group(1)] = m.group(2)
    if proc.returncode != 1:
        sizes["error"] = f"shrink exited {proc.returncode}: " + (proc.stderr.strip().splitlines() or [""])[-1][:120]
    return sizes


def cell_text(ranges, total_ranges):
    if not ranges:
        return "not run"
    found = [r for r in ranges if r["found"]]
    ran_away = sum(1 for r in ranges if r.get("error") == "ran away")
    cut = sum(1 for r in ranges if r.get("error") == "time limit")
    other = [r["error"] for r in ranges if r.get("error") not in (None, "ran away", "time limit")]
    notes = []
    if ran_away:
        notes.append(f"{ran_away} ran away")
    if cut:
        notes.append(f"{cut} cut at {CALL_LIMIT_S}s")
    if other:
        notes.append(f"{len(other)} errors")
    if len(ranges) < total_ranges:
        notes.append(f"{len(ranges)} ranges ran")
    note = ("; " + ", ".join(notes)) if notes else ""
    if found:
        runs = statistics.median(r["runs"] for r in found)
        secs = statistics.median(r["seconds"] for r in found)
        return f"**yes** {len(found)}/{total_ranges}: {runs:g} runs, {secs:.2f}s{note}"
    runs = sum(r["runs"] for r in ranges)
    secs = sum(r["seconds"] for r in ranges)
    return f"no ({runs} runs, {secs:.0f}s{note})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30, help="seeds per range")
    ap.add_argument("--ranges", type=int, default=10)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--skip", nargs="*", default=[])
    ap.add_argument("--strategies", nargs="*", help="columns to run (default all)")
    ap.add_argument("--shrink-seconds", type=float, default=20, help="0: no shrinking")
    ap.add_argument("--cell-seconds", type=float, default=90,
                    help="no new range of a cell starts after this much wall time in it")
    ap.add_argument("--deadline-minutes", type=float, default=0, help="no new range starts after this (0: none)")
    ap.add_argument("--commit", help="the commit SIMBUS was built from (default: git HEAD here)")
    ap.add_argument("--out", default="results.md")
    args = ap.parse_args()
    deadline = time.monotonic() + (args.deadline_minutes * 60 if args.deadline_minutes > 0 else 1e9)
    listed = subprocess.run([common.SIMBUS, "list"], capture_output=True, text=True).stdout
    scenarios = {line.split("\t")[0] for line in listed.splitlines() if line.strip()}
    bugs = [line.split("\t")[0] for line in subprocess.run([common.SIMBUS, "bugs"], capture_output=True,
                                                            text=True).stdout.splitlines() if line.strip()]
    # The figure-8 row last: its scenario was still being written when this ran.
    bugs.sort(key=lambda b: SCENARIO_OF.get(b) is None)
    columns = [s for s in STRATEGIES if not args.strategies or s[0] in args.strategies]
    head = args.commit or subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True,
                                         text=True).stdout.strip()
    lines = [f"machine: {common.machine()} ({os.cpu_count()} vCPUs, shared); commit {head}; "
             f"{args.ranges} ranges x {args.runs} seeds per bug and strategy; explore calls capped at "
             f"{CALL_LIMIT_S}s (+{KILL_MARGIN_S}s kill), cells at {args.cell_seconds:g}s", "",
             "| bug | scenario | " + " | ".join(c[0] for c in columns) + " | checks | shrunk (before -> after) |",
             "|---|---|" + "---|" * len(columns) + "---|---|"]
    raw = {}
    out = os.path.join(HERE, args.out)

    def flush():
        with open(out, "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(os.path.splitext(out)[0] + ".json", "w") as f:
            json.dump(raw, f, indent=1)

    for bug in bugs:
        if (args.only and bug not in args.only) or bug in args.skip:
            continue
        scenario = SCENARIO_OF.get(bug)
        if scenario is None and bug == "commit_previous_term_by_count":
            scenario = next((s for s in FIGURE8_SCENARIOS if s in scenarios), None)
        if scenario is None or scenario not in scenarios:
            lines.append(f"| {bug} | pending | " + " | ".join("not run" for _ in columns) + " | | |")
            print(lines[-1], flush=True)
            flush()
            continue
        cells, checks, findings = [], set(), []
        raw[bug] = {"scenario": scenario, "columns": {}}
        for name, strategy, params in columns:
            ranges, cell_start = [], time.monotonic()
            for r in range(args.ranges):
                if time.monotonic() - cell_start > args.cell_seconds or time.monotonic() > deadline:
                    break  # the cell's (or the run's) budget is spent: the cell says how many ranges ran
                res = search_range(scenario, strategy, params, bug, 1 + r * args.runs, args.runs)
                ranges.append(res)
                if res["found"]:
                    checks.add(res["check"])
                    findings.append((strategy, params, res["seed"], name))
            raw[bug]["columns"][name] = ranges
            cells.append(cell_text(ranges, args.ranges))
            print(f"  {bug} {name}: {cells[-1]}", file=sys.stderr, flush=True)
        shrunk = ""
        if findings and args.shrink_seconds > 0:
            # The first finding; if shrinking it fails (a candidate aborts simbus), the next
            # distinct findings, at most SHRINK_TRIES in all, each reported.
            tried, failed = set(), []
            for strategy, params, seed, name in findings:
                if (strategy, tuple(params), seed) in tried:
                    continue
                tried.add((strategy, tuple(params), seed))
                sizes = shrink(scenario, strategy, params, bug, seed, args.shrink_seconds)
                raw[bug].setdefault("shrink_tries", []).append(dict(sizes, seed=seed, column=name))
                if "choices" in sizes or len(tried) >= SHRINK_TRIES:
                    break
                failed.append(f"{name} seed {seed}: {error_text(sizes.get('error', ''))}")
            raw[bug]["shrink"] = dict(sizes, seed=seed, column=name)
            prefix = "".join(f[:200] + "; then " for f in failed)
            if "error" in sizes and "choices" not in sizes:
                shrunk = prefix + f"{name} seed {seed}: " + error_text(sizes["error"])
            else:
                shrunk = prefix
                shrunk += (f"{name} seed {seed}: choices {sizes.get('choices', '?')}, steps {sizes.get('steps', '?')}, "
                          f"switches {sizes.get('context-switches', '?')}, data "
                          f"{sizes.get('nonzero-data-choices', '?')} ({sizes['seconds']}s)")
        lines.append(f"| {bug} | {scenario} | " + " | ".join(cells) + f" | {','.join(sorted(checks))} | {shrunk} |")
        print(lines[-1], flush=True)
        flush()
    found = [b for b in raw if any(any(r["found"] for r in rs) for rs in raw[b]["columns"].values())]
    lines += ["", f"found by at least one strategy: {len(found)} of {len(bugs)}: {', '.join(found)}"]
    discarded = {f"{b}/{c}": sum(len(r["discarded"]) for r in rs) for b in raw for c, rs in raw[b]["columns"].items()}
    lines.append("seeds failing with and without the bug (not credited): " +
                 (", ".join(f"{k}: {v}" for k, v in discarded.items() if v) or "none"))
    flush()


if __name__ == "__main__":
    main()

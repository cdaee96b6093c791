#!/usr/bin/env python3
"""The bug zoo: every seeded broker bug (`simbus bugs`) x strategies x a budget.
A seed *finds* a bug when the run with `--bug B` fails and the same seed, strategy and
scenario without the bug passes (differential: the broker's own unseeded failures, if
any, are not credited to the bug). Reports, per bug and strategy, whether it was found,
the runs to the first finding (median over the seed ranges) and the seconds spent.
Writes results.md next to this file. Usage: run.py [--runs N] [--ranges R] [--only BUG...]"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

# Where each bug can show: the scenario whose faults and workload reach the buggy code.
SCENARIO_OF = {
    "vote_before_persist": "crash-restart-all",
    "commit_previous_term_by_count": "leader-crash",
    "append_from_stale_term": "partition-majority",
    "truncate_on_matching_prefix": "retry-storm",
    "append_reply_before_fsync": "crash-restart-all",
    "snapshot_over_newer_log": "partition-majority",
    "publish_ack_before_commit": "retry-storm",
    "lease_read_ignores_skew": "clock-skew",
    "follower_local_read": "retry-storm",
    "fanout_unordered_workers": "broker-smoke",
    "presence_remove_on_first_close": "presence-churn",
    "registry_update_without_lock": "broker-smoke",
    "resume_off_by_one": "resume-after-failover",
    "retry_applied_twice": "retry-storm",
    "client_event_echoed": "broker-smoke",
}
STRATEGIES = ["random", "pct:1", "pct:2", "pct:3", "delay:2"]
TIME_LIMIT_S = 25  # per explore call: a heavy scenario gets fewer runs, reported as such


def failing_seeds(scenario, strategy, bug, seed_start, runs):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        path = tmp.name
    args = [common.SIMBUS, "explore", scenario, "--strategy", strategy, "--runs", str(runs), "--seed-start",
            str(seed_start), "--jobs", "1", "--json", path, "--time-limit", str(TIME_LIMIT_S)]
    if bug:
        args += ["--bug", bug]
    start = time.monotonic()
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=2 * TIME_LIMIT_S)
    except subprocess.TimeoutExpired:
        # One execution ran away (explore checks its time limit between executions).
        return {"error": f"one execution ran past {2 * TIME_LIMIT_S}s"}, time.monotonic() - start
    seconds = time.monotonic() - start
    try:
        with open(path) as f:
            report = json.load(f)
    except (OSError, ValueError):
        # explore died without a report (a crash inside the run): count it as an error.
        first = (proc.stderr.strip().splitlines() or ["no output"])[-1][:120]
        return {"error": f"explore exited {proc.returncode}: {first}"}, seconds
    finally:
        if os.path.exists(path):
            os.unlink(path)
    failures = {f["seed"]: f["check"] for f in report["failures"]}
    failures["executions"] = report.get("executions", 0)
    return failures, seconds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100, help="seeds per range")
    ap.add_argument("--ranges", type=int, default=3)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--skip", nargs="*", default=[])
    ap.add_argument("--out", default="results.md")
    args = ap.parse_args()
    bugs = [line.split("\t")[0] for line in subprocess.run([common.SIMBUS, "bugs"], capture_output=True,
                                                            text=True).stdout.splitlines() if line.strip()]
    lines = [f"machine: {common.machine()}; {args.ranges} seed ranges x {args.runs} runs per bug and strategy",
             "", "| bug | scenario | " + " | ".join(STRATEGIES) + " |",
             "|---|---|" + "---|" * len(STRATEGIES)]
    baseline_cache = {}
    for bug in bugs:
        if (args.only and bug not in args.only) or bug in args.skip:
            continue
        scenario = SCENARIO_OF.get(bug, "broker-smoke")
        cells = []
        for strategy in STRATEGIES:
            firsts, found_any, seconds_total, checks, errors = [], False, 0.0, set(), []
            executions = 0
            for r in range(args.ranges):
                seed_start = 1 + r * args.runs
                key = (scenario, strategy, seed_start)
                if key not in baseline_cache:
                    baseline_cache[key] = failing_seeds(scenario, strategy, "", seed_start, args.runs)[0]
                with_bug, seconds = failing_seeds(scenario, strategy, bug, seed_start, args.runs)
                seconds_total += seconds
                if "error" in with_bug or "error" in baseline_cache[key]:
                    errors.append(with_bug.get("error") or baseline_cache[key].get("error"))
                    continue
                executions += with_bug.get("executions", 0)
                credited = sorted(s for s in with_bug if isinstance(s, int) and s not in baseline_cache[key])
                if credited:
                    found_any = True
                    firsts.append(credited[0] - seed_start + 1)
                    checks.add(with_bug[credited[0]])
            if errors:
                print(f"{bug} {strategy}: {errors[0]}", file=sys.stderr, flush=True)
            if found_any:
                cells.append(f"yes: {statistics.median(firsts):g} runs ({len(firsts)}/{args.ranges} ranges; "
                             f"{seconds_total:.1f}s; {','.join(sorted(checks))})")
            else:
                cells.append(f"no ({executions} runs, {seconds_total:.1f}s"
                             f"{'; ' + str(len(errors)) + ' ranges crashed' if errors else ''})")
        lines.append(f"| {bug} | {scenario} | " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    lines += ["", "baseline (no bug) failing seeds per (scenario, strategy, range): " +
              "; ".join(f"{k[0]}/{k[1]}/{k[2]}: {len(v) - 1} of {v['executions']}"
                        for k, v in sorted(baseline_cache.items()) if "error" not in v)]
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), args.out)
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Compare two `simbus explore --json` reports (or merges) for what a run found.

  tools/compare_reports.py MERGED.json UNSHARDED.json

Equal means: the same request (scenario, strategy, bug, params, seed start, runs), the same
executions, blocked count and completeness, the same failures (seed, execution, status,
check, message, site, signature, reproduce line, trace hash, choices), the same signature
groups (count, first seed, fewest-choices seed) and the same distinct schedules with their
hashes. Wall times and the shard field are not compared. Exit 0 if equal, 1 with each
difference on stderr, 2 if a file is not a report.
"""
import json
import sys

REQUEST = ["scenario", "strategy", "bug", "params", "seed_start", "runs"]
OUTCOME = ["executions", "blocked", "complete", "exhausted", "distinct_schedules", "schedule_hashes"]
FAILURE = ["seed", "execution", "status", "check", "message", "site", "signature", "reproduce", "trace_hash",
           "choices"]
GROUP = ["signature", "check", "site", "pattern", "message", "count", "first_seed", "reproduce",
         "fewest_choices_seed", "fewest_choices", "fewest_choices_reproduce"]


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        print(f"compare_reports: {path}: {e}", file=sys.stderr)
        sys.exit(2)
    if not isinstance(report, dict) or "scenario" not in report or "failures" not in report:
        print(f"compare_reports: {path}: not a simbus explore report", file=sys.stderr)
        sys.exit(2)
    return report


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    a, b = load(argv[1]), load(argv[2])
    diffs = []
    for key in REQUEST + OUTCOME:
        if a.get(key) != b.get(key):
            diffs.append(f"{key}: {json.dumps(a.get(key))[:200]} != {json.dumps(b.get(key))[:200]}")
    for name, fields in (("failures", FAILURE), ("groups", GROUP)):
        left = [{k: x.get(k) for k in fields} for x in a.get(name, [])]
        right = [{k: x.get(k) for k in fields} for x in b.get(name, [])]
        if len(left) != len(right):
            diffs.append(f"{name}: {len(left)} != {len(right)}")
        for i, (x, y) in enumerate(zip(left, right)):
            if x != y:
                diffs.append(f"{name}[{i}]: {json.dumps(x)} != {json.dumps(y)}")
                break
    for d in diffs:
        print(f"compare_reports: {argv[1]} vs {argv[2]}: {d}", file=sys.stderr)
    if not diffs:
        print(f"equal: {a.get('executions')} executions, {len(a.get('failures', []))} failures, "
              f"{len(a.get('groups', []))} signatures, {a.get('distinct_schedules')} distinct schedules")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

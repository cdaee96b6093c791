#!/usr/bin/env python3
"""PCT's probabilistic guarantee (Burckhardt et al., ASPLOS 2010): one run of PCT with
depth d finds a bug of depth d with probability >= 1/(n k^(d-1)), n threads, k steps.
Measures the hit rate of `pct:d:k` over R runs with a 95% Wilson interval and prints it
beside the bound. Writes results.md next to this file. Usage: run.py [--runs R]"""
import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

# (label, scenario, params, n fibers counting main, bug depth d as analysed in README)
BENCHMARKS = [
    ("racy-counter", "racy-counter", [], 3, 2),
    ("lazy01", "sct-lazy01", [], 4, 1),
    ("account", "sct-account", [], 4, 1),
    ("reorder_3", "sct-reorder", ["n=3"], 4, 2),
    ("reorder_5", "sct-reorder", ["n=5"], 6, 2),
    ("twostage", "sct-twostage", [], 3, 2),
    ("deadlock01", "sct-deadlock01", [], 3, 2),
    ("wronglock_3", "sct-wronglock", ["b=3"], 5, 2),
    ("token_ring", "sct-token-ring", [], 5, 2),
]


def wilson(hits, runs, z=1.96):
    if runs == 0:
        return 0.0, 0.0
    p = hits / runs
    denom = 1 + z * z / runs
    centre = (p + z * z / (2 * runs)) / denom
    half = z * math.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20_000)
    args = ap.parse_args()
    lines = [f"machine: {common.machine()}; {args.runs} runs per row; k = largest step count over 10 random runs",
             "",
             "| benchmark | n | k | d | PCT runs | hits | measured p (95% CI) | bound 1/(n k^(d-1)) | bound holds | "
             "d+1 measured p |",
             "|---|---:|---:|---:|---:|---:|---|---:|---|---|"]
    for label, scenario, params, n, d in BENCHMARKS:
        k = common.steps_of(scenario, params)
        r = common.explore(scenario, params, f"pct:{d}:{k}", runs=args.runs)
        lo, hi = wilson(r["failures"], r["executions"])
        p = r["failures"] / max(1, r["executions"])
        bound = 1.0 / (n * k ** (d - 1))
        r2 = common.explore(scenario, params, f"pct:{d + 1}:{k}", runs=args.runs)
        p2 = r2["failures"] / max(1, r2["executions"])
        lo2, hi2 = wilson(r2["failures"], r2["executions"])
        lines.append(f"| {label} | {n} | {k} | {d} | {r['executions']} | {r['failures']} | "
                     f"{p:.4f} [{lo:.4f}, {hi:.4f}] | {bound:.4f} | {'yes' if lo >= bound else ('~' if hi >= bound else 'NO')} | "
                     f"{p2:.4f} [{lo2:.4f}, {hi2:.4f}] |")
        print(lines[-1], flush=True)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.md")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

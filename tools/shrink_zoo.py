#!/usr/bin/env python3
"""Shrinks one failure of every seeded bug and prints the table of docs/shrink.md.

For each bug of tests/scenarios/bug_zoo_test.cc (the scenario and seed known to catch
it): `simbus run --trace`, `simbus shrink`, then `simbus replay` of the result, which must
fail with the same signature. Prints a markdown table (and the median ratio and time).

usage: tools/shrink_zoo.py BUILD/bin/simbus [extra shrink flags...]
Run it under /tmp/simbus-build.lock on a shared machine: the seconds are wall time.
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZOO_TEST = os.path.join(ROOT, "tests", "scenarios", "bug_zoo_test.cc")
ENTRY = re.compile(r'\{"(\w+)", "([\w-]+)", (\d+), "([\w-]+)"\}')


def zoo():
    with open(ZOO_TEST, encoding="utf-8") as f:
        text = f.read()
    table = text[text.index("kCaught[]"):]
    table = table[: table.index("};")]
    return ENTRY.findall(table)


def value(out, key):
    for line in out.splitlines():
        if line.startswith(key + ": "):
            return line[len(key) + 2:]
    return ""


def arrow(out, key):
    m = re.match(r"(\d+) -> (\d+)", value(out, key))
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    simbus = sys.argv[1]
    extra = sys.argv[2:]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for bug, scenario, seed, check in zoo():
            trace = os.path.join(tmp, bug + ".trace")
            small = os.path.join(tmp, bug + ".small")
            r = subprocess.run([simbus, "run", scenario, "--seed", seed, "--bug", bug, "--trace", trace],
                               capture_output=True, text=True)
            if r.returncode != 1:
                rows.append((bug, scenario, seed, check, None))
                continue
            s = subprocess.run([simbus, "shrink", trace, "-o", small] + extra, capture_output=True, text=True)
            p = subprocess.run([simbus, "replay", small], capture_output=True, text=True)
            # shrink itself refuses to write a result of another signature; the replay
            # must fail the same check again from the file alone.
            same = (s.returncode == 1 and p.returncode == 1 and
                    any(line.startswith("FAIL " + check + ":") for line in p.stdout.splitlines()))
            rows.append((bug, scenario, seed, check, (s.stdout, same)))
    print("| bug | caught by | check | choices | ratio | steps | virtual time (ms) | faults | operations | "
          "parameters reduced | seconds | replays, same signature |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    ratios, seconds = [], []
    for bug, scenario, seed, check, res in rows:
        if res is None:
            print(f"| {bug} | {scenario} seed {seed} | {check} | not caught by this binary | | | | | | | | |")
            continue
        out, same = res
        c0, c1 = arrow(out, "choices")
        s0, s1 = arrow(out, "steps")
        t0, t1 = arrow(out, "virtual-time-us")
        f0, f1 = arrow(out, "faults")
        o0, o1 = arrow(out, "operations")
        ratio = c1 / c0 if c0 else 1.0
        secs = float(value(out, "seconds") or "0")
        ratios.append(ratio)
        seconds.append(secs)
        budget = " (budget hit)" if "budget hit" in value(out, "attempts") else ""
        print(f"| {bug} | {scenario} seed {seed} | {check} | {c0} → {c1} | {100 * ratio:.1f}% | {s0} → {s1} | "
              f"{t0 / 1000:.0f} → {t1 / 1000:.0f} | {f0} → {f1} | {o0} → {o1} | {value(out, 'params')} | "
              f"{secs:.1f}{budget} | {'yes' if same else 'NO'} |")
    if ratios:
        print()
        print(f"median ratio {100 * statistics.median(ratios):.1f}% of the original choices, "
              f"median {statistics.median(seconds):.1f} s, max {max(seconds):.1f} s, over {len(ratios)} bugs")


if __name__ == "__main__":
    main()

"""Shared helpers for the papers/ runners: run `simbus` and parse its summary lines."""
import os
import re
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIMBUS = os.environ.get("SIMBUS", os.path.join(ROOT, "build", "bin", "simbus"))


def run(args, timeout=None):
    """Runs simbus with args; returns (fields, seconds, stdout)."""
    start = time.monotonic()
    proc = subprocess.run([SIMBUS] + args, capture_output=True, text=True, timeout=timeout)
    seconds = time.monotonic() - start
    fields = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"^([a-z-]+): (.*)$", line)
        if m and m.group(1) not in fields:
            fields[m.group(1)] = m.group(2)
    if proc.returncode == 2:
        raise RuntimeError(f"simbus {' '.join(args)}: {proc.stderr.strip()}")
    return fields, seconds, proc.stdout


def explore(scenario, params, strategy, runs=None, stop_on_fail=False, time_limit=None, seed_start=1):
    args = ["explore", scenario, "--strategy", strategy, "--jobs", "1", "--seed-start", str(seed_start)]
    for p in params:
        args += ["--param", p]
    if runs is not None:
        args += ["--runs", str(runs)]
    if stop_on_fail:
        args += ["--stop-on-fail"]
    if time_limit is not None:
        args += ["--time-limit", str(time_limit)]
    fields, seconds, out = run(args)
    return {
        "executions": int(fields.get("executions", "0")),
        "failures": int(fields.get("failures", "0")),
        "blocked": int(fields.get("blocked", "0")),
        "exhausted": fields.get("exhausted") == "yes",
        "stopped": fields.get("stopped", ""),
        "seconds": seconds,
        "out": out,
    }


def steps_of(scenario, params, seeds=10):
    """The largest step count over a few random runs: PCT's k estimate."""
    k = 0
    for seed in range(1, seeds + 1):
        args = ["run", scenario, "--seed", str(seed)]
        for p in params:
            args += ["--param", p]
        fields, _, _ = run(args)
        k = max(k, int(fields.get("steps", "0")))
    return k


def machine():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"

#!/usr/bin/env python3
"""Feeds hostile inputs to every command that reads a file or a number and measures what
each does: exit code, peak resident memory (the child's ru_maxrss) and wall time. Prints
the Markdown table of docs/hostile-inputs.md and exits 1 if any row breaks the promise
(exit 2 or a correct verdict, under 256 MB and 5 s).

    tools/hostile_inputs.py build/bin/simbus > table.md
"""
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

MEMORY_MB_MAX = 256
SECONDS_MAX = 5.0
KILL_AFTER_S = 30


def run(argv):
    """Runs argv with stdin closed; returns (exit code or signal text, peak MB, seconds, stderr head)."""
    start = time.monotonic()
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    timer = threading.Timer(KILL_AFTER_S, proc.kill)
    timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    proc.returncode = 0  # reaped by wait4; keep Popen from waiting again
    seconds = time.monotonic() - start
    err.seek(0)
    head = err.read(300).decode("utf-8", "replace").splitlines()
    code = os.waitstatus_to_exitcode(status)
    code_text = str(code) if code >= 0 else f"signal {-code}"
    return code_text, usage.ru_maxrss / 1024.0, seconds, head[0] if head else ""


class EndlessFifo:
    """A FIFO with a writer that sends valid-looking lines until the reader goes away."""

    def __init__(self, path, line):
        self.path = path
        self.line = line
        os.mkfifo(path)
        # Held open (read and write) until close(): the reader under test must find a writer
        # however late the writing thread runs, or it reads the FIFO as empty.
        self.keep = os.open(path, os.O_RDWR)
        self.thread = threading.Thread(target=self._write, daemon=True)
        self.thread.start()

    def close(self):
        os.close(self.keep)  # the last reader gone: the blocked writer gets EPIPE and ends

    def _write(self):
        try:
            with open(self.path, "wb") as f:
                chunk = self.line * 4096
                while True:
                    f.write(chunk)
        except (BrokenPipeError, OSError):
            pass


def main():
    simbus = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/bin/simbus")
    work = tempfile.mkdtemp(prefix="simbus_hostile_")
    p = lambda name: os.path.join(work, name)

    sparse = p("sparse-2g")
    with open(sparse, "wb") as f:
        f.truncate(2 << 30)
    os.mkfifo(p("fifo-no-writer"))
    open(p("empty"), "w").close()
    os.mkdir(p("a-directory"))
    with open(p("long-line"), "w") as f:
        # In chunks: this process's own size is the floor of every figure (see below).
        for _ in range(10):
            f.write("7" * (1 << 20))
        f.write("\n")
    with open(p("garbage-write.log"), "w") as f:
        f.write("INFO  jepsen.util - 0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:ok\t:write\tGARBAGE\n")
    with open(p("garbage-cas.log"), "w") as f:
        f.write("INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2]\nINFO  jepsen.util - 0\t:ok\t:cas\t[zz yy qq]\n")
    with open(p("nul.log"), "wb") as f:
        f.write(b"INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\t\x001\n")
    with open(p("bad-utf8.jsonl"), "wb") as f:
        f.write(b'{"process":0,"function":"write","args":["\xc0\xaf"],"status":"ok","invoke_time":0,"complete_time":1}\n')
    with open(p("choice-count-claim.trace"), "w") as f:
        f.write("simbus-trace 1\nversion x\nchoices 69999999\nd 0 0 7 0 0\nend\n")
    report = ('{"scenario":"racy-counter","strategy":"random","bug":"","params":{},"seed_start":1,"runs":1,'
              '"shard":"%s","executions":1,"blocked":0,"enumerating":false,"exhausted":false,"complete":true,'
              '"stopped_by":"","failures":[],"trace_hashes":[]}')
    with open(p("shard-claim.json"), "w") as f:
        f.write(report % "1/4294967295")
    with open(p("number-overflow.json"), "w") as f:
        f.write((report % "0/1").replace('"executions":1', '"executions":4e754306'))

    files = [
        ("/dev/zero", "/dev/zero"),
        ("/dev/urandom", "/dev/urandom"),
        ("2 GiB sparse file", sparse),
        ("endless FIFO", None),  # a fresh one per command
        ("FIFO with no writer", p("fifo-no-writer")),
        ("empty file", p("empty")),
        ("directory", p("a-directory")),
        ("10 MiB line", p("long-line")),
    ]
    readers = [
        ("replay", lambda f: [simbus, "replay", f]),
        ("viz", lambda f: [simbus, "viz", f, "-o", p("out.html")]),
        ("shrink", lambda f: [simbus, "shrink", f, "-o", p("out.trace")]),
        ("check", lambda f: [simbus, "check", f]),
        ("check --deliveries", lambda f: [simbus, "check", os.path.join(os.path.dirname(simbus), "..", "..",
                                                                        "tests/data/porcupine/jepsen/etcd_002.log"),
                                          "--deliveries", f]),
        ("merge", lambda f: [simbus, "merge", f]),
        ("triage", lambda f: [simbus, "triage", f]),
        ("explore --store", lambda f: [simbus, "explore", "mutex-counter", "--runs", "2", "--no-progress",
                                       "--store", f]),
    ]
    rows = []
    verdict_ok = set()  # rows where exit 0 is the correct verdict
    undecided_ok = set()  # rows where exit 3 (stopped by a bound, no verdict) is the answer
    fifo_count = 0
    for file_label, path in files:
        for tool, argv in readers:
            if path is None:
                fifo_count += 1
                fifo = EndlessFifo(p(f"endless-{fifo_count}"), b'{"process":0,"function":"read"}\n')
                target = fifo.path
            elif tool == "explore --store" and file_label == "empty file":
                # Its own empty file: the store is created in it, and later rows read "empty".
                target = p("empty-store")
                open(target, "w").close()
            else:
                target = path
            rows.append((file_label, tool) + run(argv(target)))
            if path is None:
                fifo.close()
            # An empty delivery log is what a run with no subscribers writes: "ok" is the
            # correct verdict for it, with the history beside it checked as usual.
            if tool == "check --deliveries" and file_label in ("empty file", "FIFO with no writer"):
                verdict_ok.add(len(rows) - 1)
            # An empty file is an empty SQLite database: the store is created in it.
            if tool == "explore --store" and file_label == "empty file":
                verdict_ok.add(len(rows) - 1)
    content = [
        ("Jepsen `:ok :write GARBAGE`", ["check", p("garbage-write.log")]),
        ("Jepsen `:ok :cas [zz yy qq]`", ["check", p("garbage-cas.log")]),
        ("NUL byte in a history", ["check", p("nul.log")]),
        ("invalid UTF-8 in a history", ["check", p("bad-utf8.jsonl")]),
        ("trace claiming 70 M choices", ["replay", p("choice-count-claim.trace")]),
        ("report claiming shard 1/4294967295", ["merge", p("shard-claim.json")]),
        ("report number past double range", ["merge", p("number-overflow.json")]),
        ("`--runs -1`", ["explore", "racy-counter", "--runs", "-1"]),
        ("`--runs 0`", ["explore", "racy-counter", "--runs", "0"]),
        ("`--runs 2^64`", ["explore", "racy-counter", "--runs", "18446744073709551616"]),
        ("`--runs 10^23`", ["explore", "racy-counter", "--runs", "100000000000000000000000"]),
        ("`--seed -5`", ["run", "racy-counter", "--seed", "-5"]),
        ("`--time-limit nan`", ["explore", "racy-counter", "--runs", "3", "--time-limit", "nan"]),
        ("`--shard 0/4294967295`", ["explore", "racy-counter", "--shard", "0/4294967295"]),
        ("`--input-max-mb 0`", ["check", p("empty"), "--input-max-mb", "0"]),
        ("100 KB option value", ["explore", "racy-counter", "--runs", "9" * 100_000]),
        ("100 KB unknown flag", ["run", "racy-counter", "--x" + "y" * 100_000]),
    ]
    for label, args in content:
        rows.append((label, args[0]) + run([simbus] + args))
    # Enumerating a whole broker cluster: dpor's own state bound ends it as undecided (3).
    for label, args in [("dpor over broker-smoke", ["explore", "broker-smoke", "--strategy", "dpor"]),
                        ("suite smoke with dpor", ["suite", "smoke", "--strategy", "dpor"])]:
        rows.append((label, args[0]) + run([simbus] + args))
        if args[0] == "explore":
            undecided_ok.add(len(rows) - 1)

    # Linux carries the forking process's peak RSS into the child's ru_maxrss across exec, so
    # no figure can be below this script's own size: measured on /bin/true, and stated.
    floor_mb = run(["/bin/true"])[1]
    broken = 0
    print("| input | command | exit | peak MB | seconds | first line of stderr |")
    print("|---|---|---|---|---|---|")
    for i, (label, tool, code, mb, seconds, err) in enumerate(rows):
        expected = ("2", "0") if i in verdict_ok else ("2", "3") if i in undecided_ok else ("2",)
        ok = code in expected and mb < MEMORY_MB_MAX and seconds < SECONDS_MAX
        if i in verdict_ok and code == "0":
            err = ("(verdict: ok -- the store created in the empty file)" if tool == "explore --store" else
                   "(verdict: ok -- an empty delivery log is a run with no subscribers)")
        broken += 0 if ok else 1
        err = err.replace(work, "$TMP").replace("|", "\\|")
        if len(err) > 90:
            err = err[:90] + "..."
        print(f"| {label} | {tool} | {code}{'' if ok else ' **!**'} | {mb:.1f} | {seconds:.2f} | {err} |")
    print(f"\n{len(rows)} inputs, {broken} outside the promise (exit 2, < {MEMORY_MB_MAX} MB, < {SECONDS_MAX:.0f} s); "
          f"peak MB has a floor of {floor_mb:.1f} (this script's own size, which the kernel counts in each child's peak)")
    subprocess.run(["rm", "-rf", work])
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Mutation testing of core/: does a suite notice hand-made bugs outside the bug switches?

Each mutant is one small edit to one line of core/*.cc, of the kinds a tired programmer
makes: a comparison flipped (< to <=, == to !=), && swapped with ||, an if condition
negated, a call statement dropped, an off-by-one (+ 1 / - 1 removed). The mutants are
enumerated in a fixed order and sampled with a fixed seed, so two runs of this script on
one commit test the same mutants. Every mutant is built in a private copy of the tree
(the working tree is never touched) and judged by `simbus suite SUITE`:

  killed        the suite failed (a check failed, the program crashed or hung)
  survived      the suite passed: nothing noticed the bug
  uncompilable  the mutant did not build (not counted in the score)

score = killed / (killed + survived). Results go to a TSV file, one row per mutant.

  tools/mutate.py --sample 60 --seed 1 --suite smoke --out mutants.tsv

--then ci judges each mutant the first suite lets survive by a second suite on the same
build (rows in OUT.then.tsv, the format --rejudge reads), which saves a rebuild per
survivor over a later --rejudge run; --resume keeps the verdicts an interrupted run already
wrote to OUT (a resumed survivor is rebuilt only if --then needs it).
"""

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP_FILES = {"bugs.cc"}  # the seeded bug switches are not ours to mutate
SKIP_LINE = re.compile(r"SIMBUS_ASSERT|#include|bug_on|bugs::|\bBug::|static_assert")

RELATIONAL = [(" < ", " <= "), (" <= ", " < "), (" > ", " >= "), (" >= ", " > "),
              (" == ", " != "), (" != ", " == ")]
LOGICAL = [(" && ", " || "), (" || ", " && ")]
OFF_BY_ONE = [(" + 1", ""), (" - 1", "")]
CALL_STATEMENT = re.compile(
    r"^(\s*)(?!return\b|if\b|for\b|while\b|else\b|case\b|break\b|continue\b|throw\b|co_\w+\b|delete\b)"
    r"[A-Za-z_][\w:]*(?:(?:\.|->)[A-Za-z_]\w*)*\(.*\);\s*$")


def code_part(line):
    """The line without a trailing // comment (string literals kept)."""
    in_string = False
    for i, ch in enumerate(line):
        if ch == '"' and (i == 0 or line[i - 1] != "\\"):
            in_string = not in_string
        if not in_string and line.startswith("//", i):
            return line[:i]
    return line


def outside_strings(line, pos):
    return line[:pos].count('"') % 2 == 0


def balanced(text):
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


def matching_paren(line, open_pos):
    depth = 0
    for i in range(open_pos, len(line)):
        if line[i] == "(":
            depth += 1
        elif line[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def mutants_of_line(text):
    """(operator, mutated line) for every mutant of one line of code."""
    code = code_part(text)
    if not code.strip() or code.lstrip().startswith(("//", "*", "/*")) or SKIP_LINE.search(code):
        return
    for op, table in (("relational", RELATIONAL), ("logical", LOGICAL), ("off-by-one", OFF_BY_ONE)):
        for old, new in table:
            start = 0
            while (pos := code.find(old, start)) >= 0:
                start = pos + 1
                if not outside_strings(code, pos):
                    continue
                # `a < b` in a template argument list or a shift is not a comparison.
                if old.strip() in ("<", ">") and ("<<" in code or ">>" in code or "template" in code):
                    continue
                if op == "off-by-one" and pos + len(old) < len(code) and code[pos + len(old)].isalnum():
                    continue  # + 10, - 1000: not a one
                yield op, text[:pos] + new + text[pos + len(old):]
    for m in re.finditer(r"\b(if|while) \(", code):
        open_pos = m.end() - 1
        close = matching_paren(code, open_pos)
        if close < 0:
            continue
        cond = code[open_pos + 1:close]
        if cond.startswith("constexpr") or cond.startswith("auto") or ";" in cond:
            continue
        yield "negate", text[:open_pos + 1] + "!(" + cond + ")" + text[close:]
    if CALL_STATEMENT.match(code) and balanced(code) and "=" not in code.split("(")[0]:
        indent = CALL_STATEMENT.match(code).group(1)
        yield "drop-call", indent + "(void)0;  // mutant: call dropped\n"


BUG_CONDITION = re.compile(r"\bif \(bugs_?\.has\(Bug::")
# A comment that says the function after it runs only with a seeded bug on (one the code
# calls only from inside such a switch): its body is skipped like a switch's.
BUG_ONLY_FUNCTION = re.compile(r"//\s*Only runs with BUG\(\w+\) on")


def scan_to_match(codes, line, pos, opening, closing):
    """From the `opening` at codes[line][pos] to just past its matching `closing`, across
    lines: (line, position past it, the text scanned), or None if it never closes."""
    depth, text = 0, ""
    while line < len(codes):
        code = codes[line]
        while pos < len(code):
            ch = code[pos]
            depth += ch == opening
            depth -= ch == closing
            text += ch
            pos += 1
            if depth == 0:
                return line, pos, text
        line, pos = line + 1, 0
    return None


def bug_only_lines(lines):
    """Line numbers (1-based) that run only with a seeded bug on: the condition and body of
    an `if (bugs_.has(Bug::X) ...)` whose condition has no `||` (so it is false with no bug
    on), the condition possibly spread over several lines. Mutating them gives mutants no
    suite without that bug could ever notice. A negated switch (`if (!bugs_.has(...))`), a
    condition `... || bugs_.has(...)` and an `else` branch run with no bug on: kept. So is
    the body of a function marked `// Only runs with BUG(name) on`."""
    skip = set()
    codes = [code_part(t) for t in lines]
    for i, text in enumerate(lines):
        if not BUG_ONLY_FUNCTION.search(text):
            continue
        opening = next((k for k in range(i + 1, len(codes)) if "{" in codes[k]), None)
        assert opening is not None, f"line {i + 1}: a bug-only marker with no function after it"
        body = scan_to_match(codes, opening, codes[opening].index("{"), "{", "}")
        skip.update(range(opening + 1, (len(codes) if body is None else body[0]) + 2))
    for i, code in enumerate(codes):
        m = BUG_CONDITION.search(code)
        if not m:
            continue
        # The condition: from its `(` to the matching `)`, across lines.
        found = scan_to_match(codes, i, code.index("(", m.start()), "(", ")")
        if found is None or "||" in found[2]:
            continue
        line, pos, _ = found
        skip.update(range(i + 1, line + 2))  # the condition's lines (1-based)
        rest = codes[line][pos:].strip()
        if rest.startswith("{"):
            # The body: up to the matching `}` (an `else` after it is not skipped).
            body = scan_to_match(codes, line, codes[line].index("{", pos), "{", "}")
            body_line = len(codes) if body is None else body[0]
            skip.update(range(line + 2, body_line + 1))
        elif not rest:
            skip.add(line + 2)  # a one-statement body on the next line
    return skip


def enumerate_mutants(root):
    out = []
    for path in sorted((root / "core").glob("*.cc")):
        if path.name in SKIP_FILES:
            continue
        lines = path.read_text().splitlines(keepends=True)
        skip = bug_only_lines(lines)
        for number, text in enumerate(lines, start=1):
            if number in skip:
                continue
            for op, mutated in mutants_of_line(text):
                if mutated != text:
                    out.append((f"core/{path.name}", number, op, text, mutated))
    return out


def sync_tree(fresh, src):
    """Makes src a copy of fresh, rewriting only the files that differ: the files HEAD did
    not change keep their modification times, so the next build is incremental rather than
    a full rebuild (minutes on a shared 2-core machine)."""
    src.mkdir(parents=True, exist_ok=True)
    wanted = {p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file()}
    for path in [p for p in src.rglob("*") if p.is_file()]:
        if path.relative_to(src) not in wanted:
            path.unlink()
    for rel in sorted(wanted):
        new, old = fresh / rel, src / rel
        data = new.read_bytes()
        if old.is_file() and old.read_bytes() == data:
            continue
        old.parent.mkdir(parents=True, exist_ok=True)
        old.write_bytes(data)
        shutil.copymode(new, old)


def run(cmd, cwd=None, timeout_s=None):
    return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout_s)


def build(build_dir, lock):
    cmd = ["cmake", "--build", str(build_dir), "--target", "simbus", "-j", str(os.cpu_count() or 2)]
    if lock:
        cmd = ["flock", lock] + cmd
    return run(cmd).returncode == 0


def judge(simbus, suite, jobs, timeout_s):
    """(verdict, first FAIL line) of the suite on the built mutant."""
    # Its own process group: on a timeout the suite's worker processes (a mutant may spin
    # forever) must go too, not only the parent.
    proc = subprocess.Popen([str(simbus), "suite", suite, "--jobs", str(jobs)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        stdout, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return "killed", "timeout"
    result = subprocess.CompletedProcess(proc.args, proc.returncode, stdout)
    if result.returncode == 0:
        return "survived", ""
    fail = next((l for l in result.stdout.splitlines() if l.startswith("FAIL")), "")
    return "killed", fail or f"exit {result.returncode}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", default="smoke")
    parser.add_argument("--sample", type=int, default=60, help="mutants to test (0: all)")
    parser.add_argument("--seed", type=int, default=1, help="sampling seed")
    parser.add_argument("--jobs", type=int, default=2, help="suite worker processes")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per suite run")
    parser.add_argument("--workdir", default="/tmp/simbus-mutate")
    parser.add_argument("--lock", default="/tmp/simbus-build.lock", help="flock file for builds ('' for none)")
    parser.add_argument("--out", default="mutants.tsv")
    parser.add_argument("--list", action="store_true", help="only list the sampled mutants")
    parser.add_argument("--rejudge", metavar="TSV",
                        help="instead of sampling, take the mutants an earlier run's TSV says survived "
                             "(e.g. smoke's survivors, judged again by --suite ci)")
    parser.add_argument("--then", metavar="SUITE", help="judge the first suite's survivors by SUITE too, same build")
    parser.add_argument("--resume", action="store_true", help="reuse the verdicts already in --out")
    parser.add_argument("--commit", default="HEAD",
                        help="the commit whose core/ is mutated (a sample is only reproducible on one commit: "
                             "any core/ change re-draws it; pin it to resume a run across others' commits)")
    args = parser.parse_args()
    if args.sample < 0 or args.jobs < 1 or args.timeout < 1:
        parser.error("--sample must be >= 0, --jobs and --timeout >= 1")

    # The mutants come from the committed tree (HEAD), copied aside: the working tree may
    # change while this runs, and is never touched.
    work = Path(args.workdir)
    src, build_dir = work / "src", work / "build"
    fresh = work / "src.new"
    if fresh.exists():
        shutil.rmtree(fresh)
    fresh.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.commit], stdout=subprocess.PIPE, check=True)
    subprocess.run(["tar", "-x", "-C", str(fresh)], input=archive.stdout, check=True)
    sync_tree(fresh, src)
    shutil.rmtree(fresh)

    mutants = enumerate_mutants(src)
    order = list(range(len(mutants)))
    random.Random(args.seed).shuffle(order)
    chosen = sorted(order[:args.sample] if args.sample else order)
    if args.rejudge:
        try:
            with open(args.rejudge) as tsv:
                rows = [line.rstrip("\n").split("\t") for line in tsv][1:]
        except OSError as e:
            print(f"mutate.py: {args.rejudge}: {e.strerror}", file=sys.stderr)
            return 2
        # A survivor is found again by its file, operator and the line's text before and
        # after the edit, at the nearest line number: commits that moved core/'s lines
        # (not the line itself) keep an earlier sample's survivors judgeable.
        wanted = [(r[0], int(r[1]), r[2], r[5], r[6]) for r in rows if len(r) == 7 and r[3] == "survived"]
        chosen, gone = [], []
        for path, number, op, old, new in wanted:
            same = [i for i, (p, _, o, t, m) in enumerate(mutants)
                    if (p, o, t.strip(), m.strip()) == (path, op, old, new) and i not in chosen]
            if not same:
                gone.append(f"{path}:{number} {op}")
                continue
            chosen.append(min(same, key=lambda i: abs(mutants[i][1] - number)))
        chosen.sort()
        if gone:
            print(f"mutate.py: {args.rejudge}: {len(gone)} survivors are not mutants of HEAD (their line changed, "
                  f"or it is now bug-only): {', '.join(gone)}", file=sys.stderr)
    print(f"{len(mutants)} mutants of core/ at {args.commit}, testing {len(chosen)} (seed {args.seed}) with suite {args.suite}")
    if args.list:
        for i in chosen:
            path, number, op, old, new = mutants[i]
            print(f"{path}:{number}\t{op}\t{old.strip()}  =>  {new.strip()}")
        return 0
    configure = run(["cmake", "-S", str(src), "-B", str(build_dir), "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                     "-DSIMBUS_BUILD_TESTS=OFF", "-DSIMBUS_BUILD_BENCH=OFF"])
    if configure.returncode != 0:
        print(configure.stdout, file=sys.stderr)
        return 2
    simbus = build_dir / "bin" / "simbus"
    if not build(build_dir, args.lock):
        print("the unmutated tree does not build", file=sys.stderr)
        return 2
    for suite in [args.suite] + ([args.then] if args.then else []):
        if judge(simbus, suite, args.jobs, args.timeout)[0] != "survived":
            print(f"the unmutated tree does not pass suite {suite}", file=sys.stderr)
            return 2

    done = {}  # (path, line, op, mutant) -> (verdict, killed_by), from an interrupted run
    if args.resume and os.path.exists(args.out):
        with open(args.out) as tsv:
            for r in [line.rstrip("\n").split("\t") for line in tsv][1:]:
                if len(r) == 7:
                    done[(r[0], int(r[1]), r[2], r[6])] = (r[3], r[4])
    header = "file\tline\toperator\tverdict\tkilled_by\toriginal\tmutant\n"
    counts = {"killed": 0, "survived": 0, "uncompilable": 0}
    then_counts = {"killed": 0, "survived": 0}
    started = time.monotonic()
    then_out = open(args.out + ".then.tsv", "w") if args.then else None
    if then_out:
        then_out.write(header)
    with open(args.out, "w") as out:
        out.write(header)
        for n, i in enumerate(chosen, start=1):
            path, number, op, old, new = mutants[i]
            earlier = done.get((path, number, op, new.strip()))
            then_verdict = None
            if earlier and not (args.then and earlier[0] == "survived"):
                verdict, by = earlier
            else:
                target = src / path
                original = target.read_text()
                lines = original.splitlines(keepends=True)
                assert lines[number - 1] == old
                lines[number - 1] = new
                target.write_text("".join(lines))
                try:
                    if not build(build_dir, args.lock):
                        verdict, by = "uncompilable", ""
                    elif earlier:
                        verdict, by = earlier
                    else:
                        verdict, by = judge(simbus, args.suite, args.jobs, args.timeout)
                    if args.then and verdict == "survived":
                        then_verdict, then_by = judge(simbus, args.then, args.jobs, args.timeout)
                finally:
                    target.write_text(original)
            counts[verdict] += 1
            out.write(f"{path}\t{number}\t{op}\t{verdict}\t{by}\t{old.strip()}\t{new.strip()}\n")
            out.flush()
            note = ""
            if then_verdict:
                then_counts[then_verdict] += 1
                then_out.write(f"{path}\t{number}\t{op}\t{then_verdict}\t{then_by}\t{old.strip()}\t{new.strip()}\n")
                then_out.flush()
                note = f"; {args.then}: {then_verdict} {then_by}"
            print(f"[{n}/{len(chosen)}] {path}:{number} {op}: {verdict} {by}{note}", flush=True)
    judged = counts["killed"] + counts["survived"]
    score = 100.0 * counts["killed"] / judged if judged else 0.0
    print(f"killed {counts['killed']}, survived {counts['survived']}, uncompilable {counts['uncompilable']}; "
          f"score {score:.0f}% ({time.monotonic() - started:.0f} s)")
    if then_out:
        then_out.close()
        both = counts["killed"] + then_counts["killed"]
        print(f"{args.then} on the {counts['survived']} survivors: killed {then_counts['killed']}; "
              f"{args.suite} then {args.then}: {both} / {judged} ({100.0 * both / judged if judged else 0.0:.0f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

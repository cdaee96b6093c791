#!/usr/bin/env python3
"""Check the deployment examples under deploy/ without a cluster, and run their command lines.

  tools/check_deploy.py SIMBUS [--runs R] [--k8s FILE] [--gha FILE]

deploy/kubernetes/explore-indexed-job.yaml: every document parses; the explore Job is a
batch/v1 Indexed Job whose shard count in the command line equals its completions, with
restartPolicy Never, no unknown keys in the Job and pod specs (a typo is caught, not
ignored by an API server we do not have), containers named with images, and every volume
mount naming a volume. deploy/github-actions/explore-matrix.yml: the matrix lists shards
0..N-1 and the explore step shards by N; the merge job needs the explore job.

Then the shard arithmetic, the same command lines run here: each pod's (or matrix job's)
command with its index substituted, `simbus` (or build/bin/simbus) this SIMBUS, the run
count lowered to R (default 60) and --jobs to 1, in a scratch directory; then the merge
command; then the same exploration unsharded, compared by tools/compare_reports.py.
--k8s and --gha check other files than deploy/'s (the tests feed broken copies).
Exit 0 if all holds, 1 with each problem on stderr, 2 on bad arguments.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K8S = os.path.join(ROOT, "deploy", "kubernetes", "explore-indexed-job.yaml")
GHA = os.path.join(ROOT, "deploy", "github-actions", "explore-matrix.yml")

# The fields of batch/v1 JobSpec, PodTemplateSpec, PodSpec and Container these examples may
# use (Kubernetes 1.28+ API reference); anything else is reported as unknown.
JOB_SPEC = {"completionMode", "completions", "parallelism", "backoffLimit", "backoffLimitPerIndex",
            "maxFailedIndexes", "activeDeadlineSeconds", "ttlSecondsAfterFinished", "template", "suspend",
            "podFailurePolicy", "selector", "manualSelector"}
POD_SPEC = {"restartPolicy", "containers", "initContainers", "volumes", "nodeSelector", "tolerations",
            "affinity", "serviceAccountName", "securityContext", "imagePullSecrets"}
CONTAINER = {"name", "image", "command", "args", "env", "resources", "volumeMounts", "workingDir",
             "imagePullPolicy", "securityContext"}

problems = []


def problem(where, text):
    problems.append(f"{where}: {text}")


def check_keys(where, obj, allowed):
    if not isinstance(obj, dict):
        problem(where, f"expected a mapping, got {type(obj).__name__}")
        return
    for key in obj:
        if key not in allowed:
            problem(where, f"unknown field '{key}'")


def check_pod(where, pod):
    check_keys(where, pod, POD_SPEC)
    if pod.get("restartPolicy") != "Never":
        problem(where, "restartPolicy must be Never (a retried shard would run its seeds twice)")
    volumes = {v.get("name") for v in pod.get("volumes", [])}
    for kind in ("initContainers", "containers"):
        for i, c in enumerate(pod.get(kind, [])):
            cw = f"{where}.{kind}[{i}]"
            check_keys(cw, c, CONTAINER)
            if not c.get("name") or not c.get("image"):
                problem(cw, "a container needs a name and an image")
            for m in c.get("volumeMounts", []):
                if m.get("name") not in volumes:
                    problem(cw, f"volumeMount '{m.get('name')}' names no volume")
    if not pod.get("containers"):
        problem(where, "no containers")


def shell_line(container):
    command, args = container.get("command", []), container.get("args", [])
    if command != ["sh", "-c"] or len(args) != 1:
        return None
    return " ".join(args[0].split())


def localize(line, simbus, runs, scratch, binary_name):
    line = re.sub(r"--runs \d+", f"--runs {runs}", line)
    line = re.sub(r"--jobs \d+", "--jobs 1", line)
    line = line.replace("/reports/", scratch + "/")
    return re.sub(r"(^|[;&|(]\s*)" + re.escape(binary_name) + r" ", lambda m: m.group(1) + simbus + " ", line)


def run(where, line, env=None, cwd=None):
    out = subprocess.run(["sh", "-c", line], capture_output=True, text=True, env=env, cwd=cwd, timeout=600)
    if out.returncode != 0:
        problem(where, f"'{line}' exited {out.returncode}: {out.stderr.strip()[-500:]}")
    return out.returncode == 0


def unsharded(where, line, simbus, scratch):
    m = re.search(re.escape(simbus) + r" explore .*?(?=\|\||$)", line)
    if not m:
        problem(where, "no explore command line")
        return None
    cmd = re.sub(r"--shard \S+", "", m.group(0))
    cmd = re.sub(r"--json \S+", f"--json {scratch}/unsharded.json", cmd)
    return cmd.strip() + " || [ $? -eq 1 ]"


def compare(where, merged, whole):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "compare_reports.py"), merged, whole],
                         capture_output=True, text=True)
    if out.returncode != 0:
        problem(where, "merge differs from the unsharded run: " + out.stderr.strip())
    else:
        print(f"{where}: merge equals the unsharded run: {out.stdout.strip()}")


def check_k8s(simbus, runs, path):
    where = os.path.relpath(path, ROOT)
    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    if len(docs) != 2:
        problem(where, f"expected 2 documents (explore Job, merge Job), found {len(docs)}")
        return
    for i, d in enumerate(docs):
        if d.get("apiVersion") != "batch/v1" or d.get("kind") != "Job":
            problem(f"{where}[{i}]", "not a batch/v1 Job")
        check_keys(f"{where}[{i}].spec", d.get("spec", {}), JOB_SPEC)
        check_pod(f"{where}[{i}].spec.template.spec", d.get("spec", {}).get("template", {}).get("spec", {}))
    explore, merge = docs
    spec = explore.get("spec", {})
    if spec.get("completionMode") != "Indexed":
        problem(where, "the explore Job must be completionMode: Indexed (JOB_COMPLETION_INDEX is the shard)")
    n = spec.get("completions")
    if not isinstance(n, int) or n < 1:
        problem(where, "completions must be a positive integer")
        return
    if spec.get("parallelism", 1) > n:
        problem(where, "parallelism above completions")
    line = shell_line(spec["template"]["spec"]["containers"][0])
    if line is None or f"--shard ${{JOB_COMPLETION_INDEX}}/{n}" not in line:
        problem(where, f"the explore command must shard by --shard ${{JOB_COMPLETION_INDEX}}/{n} (its completions)")
        return
    merge_line = shell_line(merge["spec"]["template"]["spec"]["containers"][0])
    if merge_line is None or "merge" not in merge_line:
        problem(where, "the merge Job runs no simbus merge")
        return
    scratch = tempfile.mkdtemp(prefix="simbus-k8s-")
    try:
        local = localize(line, simbus, runs, scratch, "simbus")
        for k in range(n):
            env = dict(os.environ, JOB_COMPLETION_INDEX=str(k))
            if not run(f"{where} pod {k}", local, env=env):
                return
        if not run(f"{where} merge", localize(merge_line, simbus, runs, scratch, "simbus") + " || [ $? -eq 1 ]"):
            return
        whole = unsharded(where, local, simbus, scratch)
        if whole and run(f"{where} unsharded", whole):
            compare(where, f"{scratch}/merged.json", f"{scratch}/unsharded.json")
        for name in ("results.db", "triage.xml", "triage.html", "merged.xml"):
            if not os.path.exists(os.path.join(scratch, name)):
                problem(where, f"the merge Job wrote no {name}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def check_gha(simbus, runs, path):
    where = os.path.relpath(path, ROOT)
    with open(path, encoding="utf-8") as f:
        wf = yaml.safe_load(f)
    jobs = wf.get("jobs", {})
    if set(jobs) != {"explore", "merge"}:
        problem(where, f"expected jobs explore and merge, found {sorted(jobs)}")
        return
    shards = jobs["explore"].get("strategy", {}).get("matrix", {}).get("shard")
    if not isinstance(shards, list) or shards != list(range(len(shards))) or not shards:
        problem(where, f"matrix.shard must be 0..N-1, got {shards}")
        return
    n = len(shards)
    if jobs["merge"].get("needs") != "explore":
        problem(where, "the merge job must need the explore job")
    explore_runs = [s["run"] for s in jobs["explore"]["steps"] if "simbus explore" in s.get("run", "")]
    merge_runs = [s["run"] for s in jobs["merge"]["steps"] if "build/bin/simbus" in s.get("run", "")]
    if len(explore_runs) != 1 or f"--shard ${{{{ matrix.shard }}}}/{n}" not in explore_runs[0]:
        problem(where, f"one explore step sharding by --shard ${{{{ matrix.shard }}}}/{n}")
        return
    if not merge_runs or "merge" not in merge_runs[0]:
        problem(where, "the merge job runs no simbus merge")
        return
    scratch = tempfile.mkdtemp(prefix="simbus-gha-")
    try:
        os.makedirs(os.path.join(scratch, "shards"))
        for k in shards:
            line = localize(explore_runs[0].replace("${{ matrix.shard }}", str(k)), simbus, runs, scratch,
                            "build/bin/simbus")
            if not run(f"{where} matrix shard {k}", line, cwd=scratch):
                return
            # actions/upload-artifact + download-artifact (merge-multiple) into shards/.
            shutil.move(os.path.join(scratch, f"shard-{k}.json"), os.path.join(scratch, "shards"))
        for i, line in enumerate(merge_runs):
            exit_ok = "" if "|| [ $? -eq 1 ]" in line or "triage" not in line else " || [ $? -eq 1 ]"
            if not run(f"{where} merge step {i}", localize(line, simbus, runs, scratch, "build/bin/simbus") + exit_ok,
                       cwd=scratch):
                return
        line = localize(explore_runs[0].replace("${{ matrix.shard }}", "0"), simbus, runs, scratch, "build/bin/simbus")
        whole = unsharded(where, line, simbus, scratch)
        if whole and run(f"{where} unsharded", whole, cwd=scratch):
            compare(where, f"{scratch}/merged.json", f"{scratch}/unsharded.json")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv):
    parser = argparse.ArgumentParser(prog="tools/check_deploy.py")
    parser.add_argument("simbus")
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--k8s", default=K8S)
    parser.add_argument("--gha", default=GHA)
    args = parser.parse_args(argv[1:])
    simbus = os.path.abspath(args.simbus)
    if not os.access(simbus, os.X_OK):
        print(f"check_deploy: {simbus} is not an executable", file=sys.stderr)
        return 2
    if not 1 <= args.runs <= 100000:
        print(f"check_deploy: --runs must be 1..100000, got {args.runs}", file=sys.stderr)
        return 2
    for path in (args.k8s, args.gha):
        try:
            open(path, encoding="utf-8").close()
        except OSError as e:
            print(f"check_deploy: {path}: {e.strerror}", file=sys.stderr)
            return 2
    try:
        check_k8s(simbus, args.runs, args.k8s)
        check_gha(simbus, args.runs, args.gha)
    except yaml.YAMLError as e:
        problem("yaml", str(e).replace("\n", " "))
    except (KeyError, TypeError, AttributeError, IndexError) as e:
        problem("structure", f"a required field is missing or of the wrong type ({type(e).__name__}: {e})")
    for p in problems:
        print(f"check_deploy: {p}", file=sys.stderr)
    if not problems:
        print("check_deploy: deploy/ examples valid; their command lines shard and merge like one run")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Precision of `keyward scan` on real public repositories (issue 14).

The repositories (scripts/precision/repos.csv) are checked out outside this repository, one
directory per repository named `owner+name` under $KEYWARD_PRECISION_TREES (default
/work/data/precision/trees), at the commit the CSV names. Every finding keyward reported on
them was labelled in scripts/precision/labels.csv:

  real   a credential that works or worked somewhere (or looks exactly like one)
  test   a credential-shaped literal in a test, fixture, example or vendored tree
  false  not a credential at all (code, a type, a placeholder, a hash, …)

No third-party content and no secret values are committed: only repository, commit, path,
line, rule and label.

This script re-scans the trees with the keyward binary ($KEYWARD, default `keyward` on PATH)
and prints, per half (`tune`: the repositories rules were tuned on; `frozen`: set aside up
front and never looked at while tuning) and overall:

  * the false-alarm rate, false / findings, over every reported finding and over the
    findings that fail the run (`blocking`);
  * every labelled `real` finding no longer reported (exit 1 when there is one);
  * findings not labelled yet (with --show-unlabelled), to be labelled by hand.

  --tool noseyparker   score Nosey Parker instead ($NOSEYPARKER, labels in
                       scripts/precision/labels-noseyparker.csv)
  --write-unlabelled F write unlabelled findings as CSV rows with an empty label to F
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "precision")


def read_csv(name):
    path = os.path.join(DATA, name)
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def keyward_findings(tree):
    exe = os.environ.get("KEYWARD", "keyward")
    out = subprocess.run(
        [exe, "scan", "-f", "json", "--no-progress", "--fail-on", "info", "."],
        cwd=tree,
        capture_output=True,
    )
    if out.returncode not in (0, 1):
        sys.exit(f"keyward failed on {tree}: {out.stderr.decode(errors='replace')}")
    doc = json.loads(out.stdout)
    for f in doc["findings"]:
        yield {
            "path": f["path"].removeprefix("./"),
            "line": int(f["line"]),
            "rule": f["rule"],
            "context": f.get("context", "source"),
            "blocking": f.get("blocking", True),
        }


def noseyparker_findings(tree):
    exe = os.environ.get("NOSEYPARKER", "noseyparker")
    with tempfile.TemporaryDirectory() as d:
        store = os.path.join(d, "ds")
        subprocess.run(
            [exe, "scan", "--datastore", store, "--progress", "never", "--git-history", "none", tree],
            check=True,
            capture_output=True,
        )
        out = subprocess.run(
            [exe, "report", "--datastore", store, "--format", "jsonl", "--progress", "never"],
            check=True,
            capture_output=True,
        )
    for line in out.stdout.splitlines():
        rep = json.loads(line)
        for m in rep.get("matches", []):
            for p in m.get("provenance", []):
                path = p.get("path")
                if not path:
                    continue
                yield {
                    "path": os.path.relpath(path, tree),
                    "line": int(m["location"]["source_span"]["start"]["line"]),
                    "rule": rep["rule_name"],
                    "context": "",
                    "blocking": True,
                }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tool", choices=["keyward", "noseyparker"], default="keyward")
    ap.add_argument("--show-unlabelled", action="store_true")
    ap.add_argument("--write-unlabelled", metavar="FILE")
    ap.add_argument("--only", metavar="REPO", help="one repository (owner/name)")
    args = ap.parse_args()

    trees = os.environ.get("KEYWARD_PRECISION_TREES", "/work/data/precision/trees")
    repos = read_csv("repos.csv")
    label_file = "labels.csv" if args.tool == "keyward" else "labels-noseyparker.csv"
    labels = {}
    for row in read_csv(label_file):
        labels[(row["repository"], row["path"], int(row["line"]), row["rule"])] = row["label"]

    totals = defaultdict(Counter)
    lost, unlabelled = [], []
    for repo in repos:
        name = repo["repository"]
        if args.only and name != args.only:
            continue
        tree = os.path.join(trees, name.replace("/", "+"))
        if not os.path.isdir(tree):
            sys.exit(f"{tree}: missing (fetch {name} at {repo['commit']} there)")
        gen = keyward_findings if args.tool == "keyward" else noseyparker_findings
        seen = set()
        counts = Counter()
        for f in gen(tree):
            key = (name, f["path"], f["line"], f["rule"])
            if key in seen:
                continue
            seen.add(key)
            label = labels.get(key)
            if label is None:
                unlabelled.append((repo, f))
                label = "unlabelled"
            counts[label] += 1
            counts["findings"] += 1
            if f["blocking"]:
                counts["blocking"] += 1
                counts["blocking_" + label] += 1
            counts["ctx_" + f["context"]] += 1
        for key, label in labels.items():
            if key[0] == name and label == "real" and key not in seen:
                lost.append(key)
        for half in (repo["half"], "all"):
            totals[half].update(counts)
        print(
            f"{name:40} {repo['half']:6} findings {counts['findings']:4}  false {counts['false']:4}"
            f"  test {counts['test']:3}  real {counts['real']:3}  blocking {counts['blocking']:4}"
            f" (false {counts['blocking_false']})"
        )

    print()
    for half in ("tune", "frozen", "all"):
        c = totals[half]
        if not c["findings"]:
            continue
        fa = c["false"] / c["findings"]
        bfa = c["blocking_false"] / c["blocking"] if c["blocking"] else 0.0
        print(
            f"{args.tool} {half:6}: {c['findings']} findings, false-alarm rate {fa:.3f}; "
            f"{c['blocking']} blocking, false-alarm rate {bfa:.3f}; unlabelled {c['unlabelled']}"
        )
    for key in lost:
        print("LOST real finding: %s %s:%d %s" % key)
    if args.show_unlabelled:
        for repo, f in unlabelled:
            print(f"unlabelled {repo['repository']} {f['path']}:{f['line']} {f['rule']} {f['context']}")
    if args.write_unlabelled:
        with open(args.write_unlabelled, "w", newline="") as out:
            w = csv.writer(out)
            w.writerow(["repository", "commit", "path", "line", "rule", "label"])
            for repo, f in unlabelled:
                w.writerow([repo["repository"], repo["commit"], f["path"], f["line"], f["rule"], ""])
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())

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
  --tool both          both, side by side per repository (Nosey Parker has no contexts:
                       every finding of it counts as blocking)
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
        if not line.strip():
            continue
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


def score(tool, repos, trees, only):
    """Scan every tree with `tool`; per-repository and per-half counts, lost and unlabelled."""
    label_file = "labels.csv" if tool == "keyward" else "labels-noseyparker.csv"
    labels = {}
    for row in read_csv(label_file):
        labels[(row["repository"], row["path"], int(row["line"]), row["rule"])] = row["label"]
    per_repo, totals = {}, defaultdict(Counter)
    lost, unlabelled = [], []
    for repo in repos:
        name = repo["repository"]
        if only and name != only:
            continue
        tree = os.path.join(trees, name.replace("/", "+"))
        if not os.path.isdir(tree):
            sys.exit(f"{tree}: missing (fetch {name} at {repo['commit']} there)")
        gen = keyward_findings if tool == "keyward" else noseyparker_findings
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
        per_repo[name] = counts
        for half in (repo["half"], "all"):
            totals[half].update(counts)
    return per_repo, totals, lost, unlabelled


def print_totals(tool, totals):
    for half in ("tune", "frozen", "all"):
        c = totals[half]
        if not c["findings"]:
            continue
        fa = c["false"] / c["findings"]
        bfa = c["blocking_false"] / c["blocking"] if c["blocking"] else 0.0
        print(
            f"{tool} {half:6}: {c['findings']} findings, false-alarm rate {fa:.3f}; "
            f"{c['blocking']} blocking, false-alarm rate {bfa:.3f}; unlabelled {c['unlabelled']}"
        )


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tool", choices=["keyward", "noseyparker", "both"], default="keyward")
    ap.add_argument("--show-unlabelled", action="store_true")
    ap.add_argument("--write-unlabelled", metavar="FILE")
    ap.add_argument("--only", metavar="REPO", help="one repository (owner/name)")
    args = ap.parse_args()

    trees = os.environ.get("KEYWARD_PRECISION_TREES", "/work/data/precision/trees")
    repos = read_csv("repos.csv")
    tools = ["keyward", "noseyparker"] if args.tool == "both" else [args.tool]
    results = {t: score(t, repos, trees, args.only) for t in tools}

    for repo in repos:
        name = repo["repository"]
        if name not in results[tools[0]][0]:
            continue
        cells = []
        for t in tools:
            c = results[t][0][name]
            cells.append(
                f"{t} findings {c['findings']:4}  false {c['false']:4}  test {c['test']:3}"
                f"  real {c['real']:3}  blocking {c['blocking']:4} (false {c['blocking_false']})"
                f"  unlabelled {c['unlabelled']:3}"
            )
        print(f"{name:38} {repo['half']:6} " + " | ".join(cells))
    print()
    for t in tools:
        print_totals(t, results[t][1])
    status = 0
    for t in tools:
        _, _, lost, unlabelled = results[t]
        for key in lost:
            print(f"LOST real {t} finding: %s %s:%d %s" % key)
            status = 1
        if args.show_unlabelled:
            for repo, f in unlabelled:
                print(f"unlabelled {t} {repo['repository']} {f['path']}:{f['line']} {f['rule']} {f['context']}")
        if args.write_unlabelled:
            path = args.write_unlabelled if len(tools) == 1 else f"{args.write_unlabelled}.{t}"
            with open(path, "w", newline="") as out:
                w = csv.writer(out)
                w.writerow(["repository", "commit", "path", "line", "rule", "label"])
                for repo, f in unlabelled:
                    w.writerow([repo["repository"], repo["commit"], f["path"], f["line"], f["rule"], ""])
    return status


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Generate a git repository for the history-scan benchmark with `git fast-import`.

Realistic text (C headers from /usr/include and Python sources from the system's Python
stdlib), mutated per commit so every blob is unique; a few fake secrets are sprinkled in.
Usage: bench-git-gen.py DEST [--commits N] [--mb M] [--seed S]
"""
import argparse
import glob
import os
import random
import subprocess
import sys


def corpus():
    files = glob.glob("/usr/include/**/*.h", recursive=True)
    for d in sorted(glob.glob("/usr/lib/python3*/")) + sorted(glob.glob("/root/.pyenv/versions/3.1*/lib/python3*/")):
        files += glob.glob(os.path.join(d, "**/*.py"), recursive=True)
    out = []
    for f in files:
        try:
            data = open(f, "rb").read()
        except OSError:
            continue
        if 2_000 <= len(data) <= 400_000 and b"\0" not in data[:8192]:
            out.append((f, data))
    return out


WORDS = [b"buffer", b"length", b"index", b"count", b"value", b"handle", b"state", b"result", b"offset", b"flags"]


def mutate(data, rng, n):
    """Insert a line and rewrite one, so the blob is unique but still looks like source."""
    pos = rng.randrange(len(data))
    nl = data.find(b"\n", pos)
    if nl < 0:
        nl = len(data)
    w = rng.choice(WORDS)
    line = b"\n/* rev %d: adjust %s by %d */" % (n, w, rng.randrange(1 << 20))
    data = data[:nl] + line + data[nl:]
    pos = rng.randrange(len(data))
    nl2 = data.find(b"\n", pos)
    if nl2 > 0:
        data = data[:nl2] + b" /* %s_%d */" % (rng.choice(WORDS), n) + data[nl2:]
    return data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dest")
    ap.add_argument("--commits", type=int, default=20_000)
    ap.add_argument("--mb", type=int, default=520)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    files = corpus()
    if not files:
        sys.exit("no corpus files found under /usr/include or the Python stdlib")
    print(f"corpus: {len(files)} files, {sum(len(d) for _, d in files) / 1e6:.0f} MB", file=sys.stderr)
    # A fixed set of repository paths, each backed by one corpus file and edited over time.
    slots = []
    for i, (f, d) in enumerate(rng.sample(files, min(6000, len(files)))):
        rel = f.lstrip("/").replace("usr/include/", "include/").replace("root/.pyenv/versions/", "py/")
        slots.append([rel, d])
    os.makedirs(a.dest, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", a.dest], check=True)
    fi = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=a.dest, stdin=subprocess.PIPE)
    w = fi.stdin.write
    total, n, t0 = 0, 0, 1_500_000_000
    target = a.mb * 1_000_000
    per_commit = target // a.commits + 1
    while n < a.commits or total < target:
        n += 1
        when = t0 + n * 600
        msg = b"change %d" % n
        w(b"commit refs/heads/main\nmark :%d\n" % n)
        w(b"author Bench Dev <bench@example.com> %d +0000\n" % when)
        w(b"committer Bench Dev <bench@example.com> %d +0000\n" % when)
        w(b"data %d\n%s\n" % (len(msg), msg))
        if n > 1:
            w(b"from :%d\n" % (n - 1))
        size = 0
        while size < per_commit:
            slot = rng.choice(slots)
            slot[1] = mutate(slot[1], rng, n)
            data = slot[1]
            if len(data) > 600_000:  # keep files from growing without bound
                slot[1] = data = data[: len(data) // 2]
            w(b"M 100644 inline %s\ndata %d\n" % (slot[0].encode(), len(data)))
            w(data)
            w(b"\n")
            size += len(data)
        if n % 997 == 0:
            secret = b"STRIPE_SECRET_KEY=sk_live_51Bench%08dQx7vL2mP9kR4tW8zN\n" % n
            w(b"M 100644 inline config/payments-%d.env\ndata %d\n%s\n" % (n, len(secret), secret))
            size += len(secret)
        if n % 5000 == 0:
            w(b"reset refs/tags/v%d\nfrom :%d\n\n" % (n // 5000, n))
        total += size
    w(b"done\n")
    fi.stdin.close()
    if fi.wait() != 0:
        sys.exit("git fast-import failed")
    print(f"generated {n} commits, {total / 1e6:.0f} MB of blob content", file=sys.stderr)


if __name__ == "__main__":
    main()

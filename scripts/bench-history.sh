#!/usr/bin/env bash
# Benchmark `keyward scan --git` against Nosey Parker on the full history of a real
# repository, both run here, one after the other, in the same invocation. Fetches nothing.
#
#   scripts/bench-history.sh REPO NOSEYPARKER_BIN [KEYWARD_BIN] [RUNS]
#
# REPO: a clone (bare or not) with its full history, e.g. `git clone --bare` of
# prometheus/prometheus. Both tools get its git directory, so neither scans a work tree.
# NOSEYPARKER_BIN: a built `noseyparker` (v0.24: `cargo build --release -p noseyparker-cli`;
# it needs cmake, a C++ compiler and Boost headers for vectorscan).
# KEYWARD_BIN: default target/release/keyward (built with `cargo build --release` when absent).
# RUNS: runs per tool (default 3); the fastest wall time of each is reported, and the peak
# RSS is the largest seen in any run.
#
# MiB/s is the repository's unique blob bytes (`git cat-file --batch-all-objects`) divided
# by wall time, the same numerator for both tools, so the ratio is the ratio of wall times.
# On a shared, loaded machine wall time measures the neighbours too: CPU time (user + sys,
# summed over threads) is printed beside it, with MiB per CPU-second, and `uptime` before
# and after the runs.
# Bar (issue 14): keyward's MiB/s >= Nosey Parker's, keyward's peak RSS < 500 MB.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ $# -lt 2 ]; then
    sed -n '2,17p' "$0" >&2
    exit 2
fi
repo="$1"
np="$2"
kw="${3:-${CARGO_TARGET_DIR:-$root/target}/release/keyward}"
runs="${4:-3}"
[ -x "$np" ] || { echo "not an executable: $np" >&2; exit 2; }
gitdir="$(cd "$repo" && cd "$(git rev-parse --git-dir)" && pwd)"  # --git-dir is relative to REPO
if [ ! -x "$kw" ]; then
    (cd "$root" && cargo build --release -q -p keyward-cli)
fi

commits=$(git --git-dir "$gitdir" rev-list --all --count)
read -r objects blobs bytes < <(git --git-dir "$gitdir" cat-file --batch-all-objects \
    --batch-check='%(objecttype) %(objectsize)' \
    | awk '{o++} $1=="blob"{n++; s+=$2} END{print o, n, s}')
pack_mib=$(du -sm "$gitdir/objects" | cut -f1)
echo "repository: $gitdir"
echo "  $commits commits, $objects objects, $blobs unique blobs," \
    "$((bytes / 1048576)) MiB of unique blob content, ${pack_mib} MiB on disk"
echo "  keyward: $("$kw" --version 2>/dev/null || echo "$kw")"
echo "  noseyparker: $("$np" --version 2>/dev/null | head -n1)"
echo "  cores: $(nproc), runs per tool: $runs"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run NAME CMD...: time CMD (exit codes 0 and 1 are fine: 1 means findings); append
# "wall_seconds rss_kb" to $tmp/NAME.
run() {
    local name="$1"
    shift
    local status=0
    /usr/bin/time -v "$@" > "$tmp/$name.out" 2> "$tmp/$name.time" || status=$?
    if [ "$status" -gt 1 ]; then
        tail -n 30 "$tmp/$name.time" >&2
        echo "$name failed with exit code $status" >&2
        exit 1
    fi
    local wall rss cpu
    cpu=$(awk -F': ' '/User time|System time/{s+=$2} END{print s}' "$tmp/$name.time")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/{print $2}' "$tmp/$name.time" \
        | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$tmp/$name.time")
    echo "$wall $rss $cpu" >> "$tmp/$name"
}

echo "  load before: $(uptime)"
for i in $(seq 1 "$runs"); do
    # --allow-skipped: a snapshot may lack a few large blobs; both tools scan what is there.
    run keyward "$kw" scan --git "$gitdir" --no-progress --allow-skipped -f json \
        -o "$tmp/keyward.json"
    rm -rf "$tmp/np.ds"
    run noseyparker "$np" scan --progress never -d "$tmp/np.ds" "$gitdir"
done
echo "  load after:  $(uptime)"
kw_findings=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' \
    "$tmp/keyward.json")
# v0.24+ ends its scan with `…; 1,234/1,234 new matches`: the matches of this scan.
np_findings=$(grep -oE '[0-9,]+ (new )?matches' "$tmp/noseyparker.out" | tail -n1 \
    | grep -oE '^[0-9,]+' | tr -d ',' || true)

best() { sort -n "$tmp/$1" | head -n1 | cut -d' ' -f1; }
peak() { cut -d' ' -f2 "$tmp/$1" | sort -n | tail -n1; }
least_cpu() { cut -d' ' -f3 "$tmp/$1" | sort -n | head -n1; }
kw_cpu=$(least_cpu keyward)
np_cpu=$(least_cpu noseyparker)
kw_s=$(best keyward)
np_s=$(best noseyparker)
kw_rss=$(peak keyward)
np_rss=$(peak noseyparker)
awk -v b="$bytes" -v ks="$kw_s" -v ns="$np_s" -v kr="$kw_rss" -v nr="$np_rss" \
    -v kc="$kw_cpu" -v nc="$np_cpu" \
    -v kf="$kw_findings" -v nf="${np_findings:-?}" 'BEGIN {
    km = b / 1048576 / ks; nm = b / 1048576 / ns
    kcm = b / 1048576 / kc; ncm = b / 1048576 / nc
    printf "%-12s %9s %10s %9s %12s %14s  %s\n", "tool", "wall (s)", "MiB/s", "CPU (s)", \
        "MiB/CPU-s", "peak RSS (MB)", "findings"
    printf "%-12s %9.2f %10.1f %9.2f %12.1f %14.0f  %s\n", "keyward", ks, km, kc, kcm, kr / 1024, kf
    printf "%-12s %9.2f %10.1f %9.2f %12.1f %14.0f  %s\n", "noseyparker", ns, nm, nc, ncm, nr / 1024, nf
    printf "ratio keyward/noseyparker MiB/s: %.2f wall, %.2f CPU (>= 1.00 means keyward is faster)\n", km / nm, kcm / ncm
    printf "keyward peak RSS: %.0f MB (bar: < 500 MB)\n", kr / 1024
}'

#!/usr/bin/env bash
# Benchmark `keyward scan --git` on a generated repository: ≥ 20,000 commits and ≥ 500 MB of
# unique blob content (see bench-git-gen.py). Prints MB/s of unique blob bytes and peak RSS.
# Bar (issue 3): ≥ 350 MB/s on a 2-core machine, peak memory < 500 MB.
#
#   scripts/bench-git.sh [REPO_DIR]     default: bench-data/git-repo (generated when missing)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
repo="${1:-$root/bench-data/git-repo}"
cd "$root"

if [ ! -d "$repo/.git" ] && [ ! -f "$repo/HEAD" ]; then
    echo "generating $repo (a few minutes) …" >&2
    python3 scripts/bench-git-gen.py "$repo"
fi
cargo build --release -q -p keyward-cli
bin="$root/target/release/keyward"

commits=$(git -C "$repo" rev-list --all --count)
read -r blobs bytes < <(git -C "$repo" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' \
    | awk '$1=="blob"{n++; s+=$2} END{print n, s}')
pack=$(du -sm "$repo/.git/objects" 2>/dev/null | cut -f1 || du -sm "$repo/objects" | cut -f1)
echo "repository: $commits commits, $blobs unique blobs, $((bytes / 1000000)) MB of unique blob content, ${pack} MB on disk" >&2

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
set +e
/usr/bin/time -v "$bin" scan --git "$repo" --no-progress -f json -o "$out/report.json" 2> "$out/time.txt"
status=$?
set -e
if [ "$status" -gt 1 ]; then
    cat "$out/time.txt" >&2
    echo "keyward failed with exit code $status" >&2
    exit 1
fi
wall=$(awk -F': ' '/Elapsed \(wall clock\)/{print $2}' "$out/time.txt")
secs=$(echo "$wall" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
rss_kb=$(awk -F': ' '/Maximum resident set size/{print $2}' "$out/time.txt")
findings=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$out/report.json")
awk -v b="$bytes" -v s="$secs" -v r="$rss_kb" -v f="$findings" 'BEGIN {
    printf "keyward scan --git: %.2f s, %.0f MB/s of unique blob bytes, peak RSS %.0f MB, %d findings\n",
        s, b / 1e6 / s, r / 1024, f
}'

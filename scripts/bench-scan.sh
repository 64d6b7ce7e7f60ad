#!/usr/bin/env bash
# Benchmark `keyward scan` against ripgrep searching the same tree for the same keywords.
#
#   scripts/bench-scan.sh [TREE]
#
# Builds (once) a tree of real text under bench-data/tree: /usr/include and the Python
# standard library copied together, with the labelled corpus planted in several places. Then
# times `keyward scan` and `rg -F -i --hidden -f KEYWORDS` on it (warm cache, best of 3) and
# prints the ratio and keyward's peak memory. Bar: ratio <= 2.0, peak RSS < 300 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tree=${1:-$root/bench-data/tree}
runs=${RUNS:-3}

command -v rg >/dev/null || { echo "ripgrep (rg) is required: apt-get install ripgrep" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is required: apt-get install time" >&2; exit 2; }

if [ ! -d "$tree" ]; then
  echo "building $tree ..."
  mkdir -p "$tree"
  cp -r /usr/include "$tree/include"
  py=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
  for copy in a b; do
    rsync -a --exclude '__pycache__' --exclude '*.pyc' --exclude '*.so' "$py/" "$tree/python-$copy/" 2>/dev/null \
      || (mkdir -p "$tree/python-$copy" && cp -r "$py/." "$tree/python-$copy/" && find "$tree/python-$copy" -name __pycache__ -prune -exec rm -rf {} +)
  done
  for i in 1 2 3 4 5; do cp -r tests/fixtures/corpus "$tree/planted-$i"; done
fi

cargo build --release -q -p keyward-cli
kw=$root/target/release/keyward
kwfile=$(mktemp)
tfile=$(mktemp)
"$kw" rules list -f json | python3 -c 'import json,sys; print("\n".join(sorted({k for r in json.load(sys.stdin) for k in r["keywords"]})))' > "$kwfile"

size=$(du -sb "$tree" | cut -f1)
files=$(find "$tree" -type f | wc -l)
printf 'tree: %s (%d MB, %d files), %d keywords\n' "$tree" $((size / 1000000)) "$files" "$(wc -l < "$kwfile")"

best() { # best wall time (s) and peak RSS (KB) of a command over $runs runs
  local bw=999999 bm=0 out w m
  for _ in $(seq "$runs"); do
    /usr/bin/time -o "$tfile" -f '%e %M' "$@" >/dev/null 2>&1 || true
    out=$(tail -1 "$tfile")
    w=${out% *}; m=${out#* }
    if awk "BEGIN{exit !($w < $bw)}"; then bw=$w; fi
    [ "$m" -gt "$bm" ] && bm=$m
  done
  echo "$bw $bm"
}

# Warm the page cache for both.
rg -F -i --hidden -f "$kwfile" "$tree" >/dev/null 2>&1 || true
read -r rg_t rg_m < <(best rg -F -i --hidden -f "$kwfile" "$tree")
read -r kw_t kw_m < <(best "$kw" scan "$tree" -f json -o /dev/null --no-progress)
findings=$("$kw" scan "$tree" -f json --no-progress 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["findings"])' || true)

printf 'ripgrep: %6.2fs  peak %4d MB\n' "$rg_t" $((rg_m / 1024))
printf 'keyward: %6.2fs  peak %4d MB  (%s findings, %.0f MB/s)\n' "$kw_t" $((kw_m / 1024)) "$findings" \
  "$(awk "BEGIN{print $size / 1000000 / $kw_t}")"
printf 'ratio keyward/ripgrep: %.2f (bar <= 2.0)\n' "$(awk "BEGIN{print $kw_t / $rg_t}")"
rm -f "$kwfile" "$tfile"

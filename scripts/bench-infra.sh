#!/usr/bin/env bash
# Benchmark `keyward infra` on 10,000 generated Kubernetes objects (target: ≤ 1 s on the
# project's 2-core machine), printing wall time and peak memory, and — when given — the
# same input through checkov and/or kube-linter, with the ratio, in the same run.
#
#   scripts/bench-infra.sh                       # keyward only
#   CHECKOV=/path/venv/bin/checkov scripts/bench-infra.sh
#   KUBE_LINTER=/path/kube-linter scripts/bench-infra.sh
#
# Data goes to $BENCH_DIR (default bench-data/infra, git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-10000}"
DIR="${BENCH_DIR:-bench-data/infra}"
KEYWARD="${KEYWARD:-${CARGO_TARGET_DIR:-target}/release/keyward}"
cargo build --release -q -p keyward-cli
rm -rf "$DIR"
python3 scripts/bench-infra-gen.py "$DIR" "$N"
du -sh "$DIR" | awk '{print "input: " $1}'

# Run a command; print wall seconds and peak RSS (GNU time), return the seconds in $SECS.
measure() {
  local label="$1"; shift
  local log; log="$(mktemp)"
  /usr/bin/time -f "%e %M" -o "$log" "$@" >/dev/null 2>&1 || true
  read -r SECS KB <"$log"
  rm -f "$log"
  printf '%-12s %7.2f s   peak %6.1f MB\n' "$label" "$SECS" "$(echo "$KB / 1024" | bc -l)"
}

"$KEYWARD" infra "$DIR" -f json --fail-on critical >/dev/null 2>&1 || true   # warm the page cache
best=999
for _ in 1 2 3; do
  measure keyward "$KEYWARD" infra "$DIR" -f json -o /dev/null
  best=$(echo "if ($SECS < $best) $SECS else $best" | bc)
done
echo "keyward best of 3: ${best}s for $N objects (target ≤ 1 s)"
"$KEYWARD" infra "$DIR" -f json --fail-on critical 2>/dev/null \
  | python3 -c 'import json,sys,collections; v=json.load(sys.stdin); print("findings:", dict(collections.Counter(f["rule"] for f in v["findings"])))'

if [ -n "${CHECKOV:-}" ]; then
  measure checkov "$CHECKOV" -d "$DIR" --framework kubernetes --quiet --compact -o json
  echo "checkov / keyward: $(echo "scale=1; $SECS / $best" | bc)x"
fi
if [ -n "${KUBE_LINTER:-}" ]; then
  measure kube-linter "$KUBE_LINTER" lint "$DIR" --format json
  echo "kube-linter / keyward: $(echo "scale=1; $SECS / $best" | bc)x"
fi

#!/usr/bin/env bash
# Run `keyward infra` on a folder of real repositories (kept OUTSIDE this repository) and
# print the findings per check, with a few examples each; optionally run checkov on the
# same folder and print its failed checks per id, for comparison (docs/infra.md).
#
#   scripts/infra-real.sh DIR [DIR…]
#   CHECKOV=/path/to/venv/bin/checkov scripts/infra-real.sh DIR      # also run checkov
#
# KEYWARD defaults to the release binary under CARGO_TARGET_DIR (or target/).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 DIR [DIR…]" >&2; exit 2; }
KEYWARD="${KEYWARD:-${CARGO_TARGET_DIR:-target}/release/keyward}"
[ -x "$KEYWARD" ] || cargo build --release -q -p keyward-cli
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

for dir in "$@"; do
  name="$(basename "$dir")"
  start=$(date +%s.%N)
  set +e
  "$KEYWARD" infra "$dir" -f json --fail-on critical >"$out/$name.json" 2>"$out/$name.err"
  code=$?
  set -e
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  echo "=== $name: keyward exit $code in ${secs}s"
  python3 - "$out/$name.json" "$out/$name.err" "$dir" <<'EOF'
import collections, json, sys
v = json.load(open(sys.argv[1]))
root = sys.argv[3].rstrip("/") + "/"
by = collections.defaultdict(list)
for f in v["findings"]:
    by[f["rule"]].append(f)
s = v["summary"]
print(f"  {s['files']} files, {len(v['findings'])} findings; {s['notes'][0]}")
for rule, fs in sorted(by.items(), key=lambda kv: -len(kv[1])):
    print(f"  {len(fs):5}  {rule}")
    for f in fs[:3]:
        print(f"           {f['path'].replace(root, '')}:{f['line']}  {f['title'][:110]}")
errors = [l for l in open(sys.argv[2]) if l.startswith("keyward: error")]
for l in errors[:5]:
    print("  " + l.rstrip())
if len(errors) > 5:
    print(f"  … {len(errors) - 5} more input errors")
skipped = [n for n in s["notes"][1:]]
if skipped:
    print(f"  {len(skipped)} note(s), e.g. {skipped[0][:120]}")
EOF
  if [ -n "${CHECKOV:-}" ]; then
    start=$(date +%s.%N)
    "$CHECKOV" -d "$dir" --framework kubernetes dockerfile -o json --quiet --compact \
      >"$out/$name.checkov.json" 2>/dev/null || true
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    echo "--- checkov on $name (kubernetes + dockerfile frameworks) in ${secs}s"
    python3 - "$out/$name.checkov.json" <<'EOF'
import collections, json, sys
try:
    data = json.load(open(sys.argv[1]))
except ValueError:
    print("  (no JSON from checkov)"); sys.exit()
runs = data if isinstance(data, list) else [data]
counts = collections.Counter()
names = {}
for r in runs:
    for f in r.get("results", {}).get("failed_checks", []):
        counts[f["check_id"]] += 1
        names[f["check_id"]] = f["check_name"]
print(f"  {sum(counts.values())} failed checks")
for cid, n in counts.most_common(25):
    print(f"  {n:5}  {cid:12} {names[cid][:90]}")
EOF
  fi
done

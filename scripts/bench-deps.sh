#!/usr/bin/env bash
# Benchmark `keyward deps`: a generated lockfile set of 20,000 packages (npm, yarn, Cargo,
# poetry, requirements) against the whole OSV database in shared/osv.
#
#   scripts/bench-deps.sh [OSV_DIR]
#
# cold: first run with an empty index cache (every all.zip parsed, indexes written);
# warm: best of $RUNS runs with the cached indexes. Reference, same machine, same run:
# python3 parsing every OSV document of the zips once (the work the index saves on every
# run). Prints wall time and peak memory of each and the ratios.
# Bar: warm <= 0.5 s and peak RSS < 200 MB (exit 1 when missed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
osv=${1:-$root/../shared/osv}
runs=${RUNS:-5}
[ -f "$osv/PyPI/all.zip" ] || { echo "no OSV database at $osv" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is required: apt-get install time" >&2; exit 2; }

cargo build --release -q -p keyward-cli
kw=${CARGO_TARGET_DIR:-$root/target}/release/keyward
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 scripts/bench-deps-gen.py "$osv" "$work/tree" 20000
tfile="$work/time"

measure() { # wall seconds and peak RSS (KB) of one run
  /usr/bin/time -o "$tfile" -f '%e %M' "$@" >/dev/null 2>&1 || true
  tail -1 "$tfile"
}

export XDG_CACHE_HOME="$work/cache"
read -r cold_t cold_m < <(measure "$kw" deps "$work/tree" --db "$osv" -f json -o "$work/out.json")
best_t=999; best_m=0
for _ in $(seq "$runs"); do
  read -r t m < <(measure "$kw" deps "$work/tree" --db "$osv" -f json -o "$work/out.json")
  awk "BEGIN{exit !($t < $best_t)}" && best_t=$t
  [ "$m" -gt "$best_m" ] && best_m=$m
done
summary=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s["packages"], s["vulnerable"], s["advisories"])' "$work/out.json")
read -r pkgs vuln advs <<<"$summary"

cat > "$work/ref.py" <<'PY'
import json, os, sys, zipfile
n = 0
for eco in ("npm", "PyPI", "crates.io"):
    with zipfile.ZipFile(os.path.join(sys.argv[1], eco, "all.zip")) as z:
        for name in z.namelist():
            if name.endswith(".json"):
                json.loads(z.read(name)); n += 1
PY
read -r ref_t ref_m < <(measure python3 "$work/ref.py" "$osv")

printf 'lockfiles: %s packages, %s vulnerable, %s advisories in the database\n' "$pkgs" "$vuln" "$advs"
printf 'keyward cold:  %5.2fs  peak %4d MB  (indexes built)\n' "$cold_t" $((cold_m / 1024))
printf 'keyward warm:  %5.2fs  peak %4d MB  (best of %d)\n' "$best_t" $((best_m / 1024)) "$runs"
printf 'reference:     %5.2fs  peak %4d MB  (python3 parsing every OSV document once)\n' "$ref_t" $((ref_m / 1024))
awk -v c="$cold_t" -v w="$best_t" -v r="$ref_t" 'BEGIN{
  printf "ratios: warm/cold %.2f, warm/reference %.2f, cold/reference %.2f\n", (c>0?w/c:0), (r>0?w/r:0), (r>0?c/r:0) }'
if awk "BEGIN{exit !($best_t <= 0.5 && $best_m < 204800)}"; then
  echo "bar met: warm <= 0.5 s and < 200 MB"
else
  echo "bar MISSED: warm must be <= 0.5 s and < 200 MB" >&2
  exit 1
fi

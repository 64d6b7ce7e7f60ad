#!/usr/bin/env bash
# One-line summary of the tests that skipped work because a server or tool was missing,
# from the skip log they append to (`keyward_store::testing::skip`, one `WHAT<TAB>TEST`
# line each); exits 1 when a server the caller expected was skipped.
#
#   scripts/test-skips.sh SKIP_LOG [postgres] [redis] [chromium]
set -euo pipefail

log=${1:?usage: test-skips.sh SKIP_LOG [postgres] [redis] [chromium]}
shift

var_of() {
  case $1 in
    postgres) echo KEYWARD_TEST_POSTGRES_URL ;;
    redis) echo KEYWARD_TEST_REDIS_URL ;;
    chromium) echo KEYWARD_TEST_CHROMIUM ;;
    *) echo "test-skips.sh: unknown service '$1' (postgres, redis, chromium)" >&2; exit 2 ;;
  esac
}

declare -A count=()
total=0
if [ -s "$log" ]; then
  while IFS=$'\t' read -r what _test; do
    [ -n "$what" ] || continue
    count[$what]=$(( ${count[$what]:-0} + 1 ))
    total=$((total + 1))
  done < "$log"
fi

if [ "$total" -eq 0 ]; then
  echo "skipped tests: none"
else
  parts=()
  for what in $(printf '%s\n' "${!count[@]}" | sort); do
    parts+=("$what: ${count[$what]}")
  done
  summary=$(printf '%s, ' "${parts[@]}")
  echo "skipped tests: $total (${summary%, })"
fi

status=0
for service in "$@"; do
  var=$(var_of "$service")
  n=${count[$var]:-0}
  if [ "$n" -gt 0 ]; then
    echo "error: $service was expected, but $n test(s) skipped it ($var not set); see SKIPPED lines above" >&2
    status=1
  fi
done
exit $status

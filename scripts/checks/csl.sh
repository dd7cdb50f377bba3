#!/usr/bin/env bash
# csl.sh — smoke run of the csl load script (debug build, tiny counts), so the benchmark
# tooling behind the README's figures cannot rot unnoticed. Fails if any run reports errors.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=$(benches/csl-load.sh --smoke)
echo "$OUT"
[ "$(echo "$OUT" | grep -c '^store=')" = 5 ] || { echo "csl.sh: expected 5 load runs" >&2; exit 1; }
echo "$OUT" | grep -q '^store=redis-open-loop ' || { echo "csl.sh: the open-loop run is missing" >&2; exit 1; }
if echo "$OUT" | grep '^store=' | grep -qvE ' errors=0( |$)'; then
  echo "csl.sh: a load run reported errors" >&2; exit 1
fi
echo "$OUT" | grep -q '^redis-benchmark EVALSHA: [0-9.]* requests per second' ||
  { echo "csl.sh: redis-benchmark EVALSHA did not run" >&2; exit 1; }

#!/usr/bin/env bash
# csl-load.sh — load figures of the csl stores for the README's performance table.
#
# Builds the `csl_load` example (release), starts its own redis-server on a free loopback port
# (no persistence; killed on exit), then prints one key=value line per run:
#   1. memory store, 2 threads, 100k users        (decisions/s, p50/p99/p999 latency)
#   2. memory store, 64 threads, 1 user           (worst contention)
#   3. Redis store, 64 tasks on one connection     (pipelined), 10k users
#   4. Redis store, open loop at RATE decisions/s (default 20000: the target rate), each
#      decision on its own task, latency counted from when it was due: p99 at that load
#   5. Redis store, 1 task                          (one round trip at a time)
#   6. redis-benchmark EVALSHA of the same admit script, 64 clients: the server's ceiling
# Client and server share the machine's cores; say so next to the figures.
#
# Usage: benches/csl-load.sh [DECISIONS_MEMORY] [DECISIONS_REDIS] [RATE]
#        (defaults 4000000 200000 20000)
#        benches/csl-load.sh --smoke   (debug build, tiny counts: checks the script still works)
# Needs: cargo, redis-server, redis-cli, redis-benchmark (Debian redis-server, redis-tools).
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=release
if [ "${1:-}" = "--smoke" ]; then
  PROFILE=dev; shift; set -- 20000 2000 2000
fi
N_MEM=${1:-4000000}
N_REDIS=${2:-200000}
RATE=${3:-20000}
for t in redis-server redis-cli redis-benchmark; do
  command -v "$t" >/dev/null || { echo "csl-load.sh: $t not found (apt-get install redis-server redis-tools)" >&2; exit 1; }
done

cargo build --quiet --profile "$PROFILE" --locked -p csl --example csl_load
BIN=target/$([ "$PROFILE" = dev ] && echo debug || echo release)/examples/csl_load

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DIR=$(mktemp -d)
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR" \
  --loglevel warning >"$DIR/redis.log" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do
  redis-cli -p "$PORT" ping >/dev/null 2>&1 && break
  sleep 0.1
done

# CPU seconds redis-server has used so far (INFO cpu), to report its cost per decision.
server_cpu() {
  redis-cli -p "$PORT" INFO cpu | tr -d '\r' |
    awk -F: '/^used_cpu_(sys|user):/ { s += $2 } END { printf "%.2f", s }'
}
per_server_cpu() { # LINE CPU_BEFORE: prints the line plus redis-server CPU and decisions/CPU-s
  local n after
  n=$(echo "$1" | sed -n 's/.* decisions=\([0-9]*\) .*/\1/p')
  after=$(server_cpu)
  awk -v line="$1" -v n="$n" -v a="$2" -v b="$after" \
    'BEGIN { c = b - a; printf "%s server_cpu_s=%.2f decisions_per_server_cpu_s=%.0f\n", line, c, n / (c + 0.001) }'
}

echo "# machine: $(nproc) cores, $(uname -m), load average $(cut -d' ' -f1-3 /proc/loadavg); client and redis-server share the cores"
"$BIN" --store memory --workers 2 --users 100000 --decisions "$N_MEM"
"$BIN" --store memory --workers 64 --users 1 --decisions "$N_MEM"
CPU0=$(server_cpu)
OUT=$("$BIN" --store "redis://127.0.0.1:$PORT/" --workers 64 --users 10000 --decisions "$N_REDIS")
per_server_cpu "$(echo "$OUT" | grep '^store=')" "$CPU0"
CPU0=$(server_cpu)
OUT=$("$BIN" --store "redis://127.0.0.1:$PORT/" --rate "$RATE" --users 10000 --decisions "$N_REDIS")
echo "$OUT" | grep '^# open loop'
per_server_cpu "$(echo "$OUT" | grep '^store=')" "$CPU0"
CPU0=$(server_cpu)
per_server_cpu "$("$BIN" --store "redis://127.0.0.1:$PORT/" --workers 1 --users 10000 --decisions $((N_REDIS / 10)) | grep '^store=')" "$CPU0"
SHA=$(echo "$OUT" | sed -n 's/^admit_script_sha=//p')
# The benchmark below only means something if the call succeeds: check one reply first.
REPLY=$(redis-cli -p "$PORT" EVALSHA "$SHA" 2 'mdrm:csl:{check}:l' 'mdrm:csl:{check}:t' session-0 3 600000000 600000000)
[ "$(echo "$REPLY" | wc -l)" = 5 ] || { echo "csl-load.sh: EVALSHA failed: $REPLY" >&2; exit 1; }
# The same script with the same argument shapes: lease and clock retention 600 s, max 3.
echo "# redis-benchmark EVALSHA ceiling (64 clients, random users):"
# (-q still prints progress lines ending in CR: keep only the final summary.)
redis-benchmark -p "$PORT" -n "$N_REDIS" -c 64 -r 10000 -q \
  EVALSHA "$SHA" 2 'mdrm:csl:{__rand_int__}:l' 'mdrm:csl:{__rand_int__}:t' session-0 3 600000000 600000000 |
  tr '\r' '\n' | sed -n 's/^.*600000000: \([0-9.]* requests per second.*\)$/redis-benchmark EVALSHA: \1/p' | tail -1

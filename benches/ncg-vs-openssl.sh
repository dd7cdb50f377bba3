#!/usr/bin/env bash
# ncg-vs-openssl.sh — mdrm-ncg throughput next to `openssl enc -aes-128-ctr` on the same file.
#
# Both tools read and write files on tmpfs (/dev/shm when it exists) so the disk is out of the
# comparison; each figure is the best of RUNS wall-clock runs. mdrm-ncg's figures include the
# per-block HMAC-SHA-256 tags (openssl computes none); "encrypt + verify" is the default
# mdrm-ncg run (it decrypts the output again and compares it with the input).
#
# Two figures per tool: wall-clock throughput (what a user waits for; mdrm-ncg uses all cores)
# and CPU throughput (bytes per CPU-second, user + system, all threads: the cost per core,
# which also holds on a machine shared with other jobs).
#
# Usage: benches/ncg-vs-openssl.sh [SIZE_MIB (default 1024)] [RUNS (default 3)]
# Prints a Markdown table (MB/s = 10^6 bytes per second). Needs /usr/bin/time and openssl.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${1:-1024}
RUNS=${2:-3}
command -v openssl >/dev/null || { echo "openssl is needed" >&2; exit 1; }

cargo build --release --locked -q -p mdrm-ncg
BIN=$(pwd)/target/release/mdrm-ncg
BASE=/dev/shm; [ -d "$BASE" ] && [ -w "$BASE" ] || BASE=${TMPDIR:-/tmp}
DIR=$(mktemp -d "$BASE/ncg-bench.XXXXXX")
trap 'rm -rf "$DIR"' EXIT

KEY=000102030405060708090a0b0c0d0e0f
IV=f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff
# shellcheck disable=SC2059
CEK=$(printf "$(echo "$KEY$IV" | sed 's/../\\x&/g')" | openssl base64 -A)
head -c $((SIZE_MIB << 20)) /dev/urandom >"$DIR/in.bin"
BYTES=$((SIZE_MIB << 20))

best() { # "wall cpu" seconds: the lowest of RUNS runs of "$@", for each measure
  local wall="" cpu="" w c
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %U %S" -o "$DIR/time" "$@" >/dev/null 2>&1
    w=$(awk '{ print $1 }' "$DIR/time")
    c=$(awk '{ printf "%.2f", $2 + $3 }' "$DIR/time")
    if [ -z "$wall" ] || awk -v a="$w" -v b="$wall" 'BEGIN { exit !(a < b) }'; then wall=$w; fi
    if [ -z "$cpu" ] || awk -v a="$c" -v b="$cpu" 'BEGIN { exit !(a < b) }'; then cpu=$c; fi
  done
  echo "$wall $cpu"
}
mbps() { awk -v n="$BYTES" -v t="$1" 'BEGIN { printf "%.0f", n / (t > 0 ? t : 0.01) / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 0.01) }'; }
row() { # label, openssl "wall cpu", mdrm-ncg "wall cpu"
  local ow oc nw nc
  read -r ow oc <<<"$2"; read -r nw nc <<<"$3"
  printf "| %s | %s MB/s | %s MB/s | **%sx** | %s MB/s | %s MB/s | %sx |\n" "$1" \
    "$(mbps "$ow")" "$(mbps "$nw")" "$(ratio "$ow" "$nw")" "$(mbps "$oc")" "$(mbps "$nc")" "$(ratio "$oc" "$nc")"
}

ncg_common=(--site-id BNCH --contents-id bench --encryption-key "$CEK" -q --overwrite)
t_ossl_enc=$(best openssl enc -aes-128-ctr -K "$KEY" -iv "$IV" -in "$DIR/in.bin" -out "$DIR/o.enc")
t_ossl_dec=$(best openssl enc -d -aes-128-ctr -K "$KEY" -iv "$IV" -in "$DIR/o.enc" -out "$DIR/o.dec")
t_ncg_enc=$(best "$BIN" "${ncg_common[@]}" --no-verify -i "$DIR/in.bin" -o "$DIR/e.ncg")
t_ncg_encv=$(best "$BIN" "${ncg_common[@]}" -i "$DIR/in.bin" -o "$DIR/v.ncg")
t_ncg_dec=$(best "$BIN" --decrypt --encryption-key "$CEK" -q --overwrite -i "$DIR/e.ncg" -o "$DIR/d.bin")
cmp -s "$DIR/in.bin" "$DIR/d.bin" || { echo "round trip differs!" >&2; exit 1; }

accel=$(grep -q -w aes /proc/cpuinfo && echo "AES-NI" || echo "no AES-NI")
sha=$(grep -q -w sha_ni /proc/cpuinfo && echo "SHA-NI" || echo "no SHA-NI")
echo "${SIZE_MIB} MiB random file on $(basename "$BASE"), best of $RUNS, $(nproc) cores ($accel, $sha), load average $(cut -d' ' -f1 /proc/loadavg), $(openssl version | cut -d' ' -f1-2)"
echo
echo "| operation | openssl wall | mdrm-ncg wall | ratio | openssl per CPU-s | mdrm-ncg per CPU-s | ratio |"
echo "|---|---|---|---|---|---|---|"
row "encrypt" "$t_ossl_enc" "$t_ncg_enc"
row "encrypt + read-back verify (default)" "$t_ossl_enc" "$t_ncg_encv"
row "decrypt (verifies every tag)" "$t_ossl_dec" "$t_ncg_dec"

#!/usr/bin/env bash
# cenc-vs-openssl.sh — print the cenc crate's throughput next to `openssl speed` on this machine.
#
# Usage: benches/cenc-vs-openssl.sh [--quick]
#   --quick   shorter criterion runs (less stable figures)
#
# Runs `cargo bench -p cenc --bench cenc_throughput` (100 MB of realistic H.264 samples; see
# crates/cenc/benches/cenc_throughput.rs), reads criterion's estimates from
# target/criterion/, then `openssl speed -evp aes-128-ctr` and `-evp aes-128-cbc` with 16 KB
# and 100 MB buffers. Both sides report MB/s (10^6 bytes) per CPU-second: criterion here
# measures the benchmark thread's CPU time, and `openssl speed` divides by user CPU time by
# default, so load from other processes affects both alike.
#
# Needs: cargo, openssl, python3 (to read criterion's JSON). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=()
[ "${1:-}" = "--quick" ] && QUICK=(--warm-up-time 1 --measurement-time 3)

command -v openssl >/dev/null || { echo "openssl not found" >&2; exit 1; }
echo "[cenc-vs-openssl] cargo bench (a few minutes)..." >&2
cargo bench -q -p cenc --bench cenc_throughput -- "${QUICK[@]}" >&2

# MB/s from criterion's estimates.json (mean time per iteration) and the group's throughput.
ours() { # GROUP BENCH
  python3 - "$1" "$2" <<'EOF'
import json, sys, pathlib
group, bench = sys.argv[1], sys.argv[2]
d = pathlib.Path("target/criterion") / group / bench / "new"
mean_ns = json.loads((d / "estimates.json").read_text())["mean"]["point_estimate"]
tp = json.loads((d / "benchmark.json").read_text())["throughput"]
nbytes = tp.get("Bytes") or tp.get("BytesDecimal")
print(f"{nbytes / (mean_ns / 1e9) / 1e6:.0f}")
EOF
}

# MB/s from `openssl speed -mr` (machine-readable: +F:...:<bytes per second>).
openssl_mbs() { # CIPHER BYTES
  openssl speed -mr -seconds 3 -bytes "$2" -evp "$1" 2>/dev/null \
    | awk -F: '/^\+F:/ { printf "%.0f\n", $NF / 1e6 }'
}

CTR16=$(openssl_mbs aes-128-ctr 16384)
CTR100=$(openssl_mbs aes-128-ctr 100000000)
CBC16=$(openssl_mbs aes-128-cbc 16384)
CBC100=$(openssl_mbs aes-128-cbc 100000000)
pct() { python3 -c "print(f'{100 * $1 / $2:.0f}%')"; }

G=cenc_100MB
CENC_ENC=$(ours $G cenc_encrypt_video)
CENC_DEC=$(ours $G cenc_decrypt_video)
CBCS_ENC=$(ours $G cbcs_encrypt_video)
CBCS_DEC=$(ours $G cbcs_decrypt_video)
CENC_WHOLE=$(ours $G cenc_encrypt_whole_samples)
CBCS_WHOLE=$(ours $G cbcs_encrypt_whole_samples)
CTR_CRATE=$(ours $G ctr_crate_whole_samples)
CENC_16K=$(ours cenc_16KB_cache_resident cenc_encrypt_whole_samples)

CPU=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //')
echo "Machine: ${CPU:-unknown}, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null); $(openssl version)"
echo
echo "| what | MB/s | vs openssl |"
echo "|---|---:|---:|"
echo "| openssl speed -evp aes-128-ctr, 16 KB buffer | $CTR16 | |"
echo "| openssl speed -evp aes-128-ctr, 100 MB buffer | $CTR100 | |"
echo "| openssl speed -evp aes-128-cbc, 16 KB buffer | $CBC16 | |"
echo "| openssl speed -evp aes-128-cbc, 100 MB buffer | $CBC100 | |"
echo "| cenc encrypt, 100 MB of H.264 samples (parse + subsamples + CTR) | $CENC_ENC | $(pct "$CENC_ENC" "$CTR16") of CTR 16 KB |"
echo "| cenc decrypt, same samples | $CENC_DEC | $(pct "$CENC_DEC" "$CTR16") of CTR 16 KB |"
echo "| cenc whole samples (CTR only), 100 MB | $CENC_WHOLE | $(pct "$CENC_WHOLE" "$CTR100") of CTR 100 MB |"
echo "| cenc whole samples, one cache-resident 16 KB sample | $CENC_16K | $(pct "$CENC_16K" "$CTR16") of CTR 16 KB |"
echo "| RustCrypto ctr crate (Ctr64BE), 100 MB whole samples | $CTR_CRATE | $(pct "$CTR_CRATE" "$CTR100") of CTR 100 MB |"
echo "| cbcs encrypt, 100 MB of H.264 samples (1:9 pattern) | $CBCS_ENC | (10% of bytes encrypted) |"
echo "| cbcs decrypt, same samples | $CBCS_DEC | |"
echo "| cbcs whole samples (CBC over every block), 100 MB | $CBCS_WHOLE | $(pct "$CBCS_WHOLE" "$CBC100") of CBC 100 MB |"

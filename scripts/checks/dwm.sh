#!/usr/bin/env bash
# dwm.sh — the README's distributor-watermarking walk-through, from the shell, on the shared
# 10 s test clip: register two recipients, embed with --demo, detect each copy and the
# unmarked input. Fails on any mismatch. (The attack round trip is `cargo test -p mdrm-dwm`.)
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED=${MDRM_SHARED:-$(cd .. && pwd)/shared}
cargo build -q --locked -p mdrm-dwm
BIN=$PWD/target/debug/mdrm-dwm
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cp "$SHARED/testmedia/peers/source_h264_aac_360p_10s.mp4" "$W/movie.mp4"
cat > "$W/dwm_info.json" <<'JSON'
{"account_id": "demo", "content_id": "movie", "input": "movie.mp4", "output": "out/movie.mp4",
 "recipients": ["studio-a", "studio-b"]}
JSON
mkdir "$W/out"
dwm() { "$BIN" --demo --registry "$W/registry.json" -q "$@"; }
dwm recipients add studio-a studio-b >/dev/null
dwm embed "$W/dwm_info.json" >/dev/null
for who in studio-a:1 studio-b:2; do
  name=${who%:*}; id=${who#*:}
  got=$(dwm --json detect "$W/out/movie_${name}_${id}.mp4" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["dwm_id"], d["recipient"])')
  [ "$got" = "$id $name" ] || { echo "dwm.sh: expected '$id $name', got '$got'" >&2; exit 1; }
done
got=$(dwm --json detect "$W/movie.mp4" | python3 -c 'import json,sys; print(json.load(sys.stdin)["verdict"])')
[ "$got" = no_watermark ] || { echo "dwm.sh: unmarked input gave '$got'" >&2; exit 1; }
echo "dwm.sh: embed/detect walk-through ok"

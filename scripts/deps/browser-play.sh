#!/usr/bin/env bash
# Installs ../shared/tools/browser-play for the browser tests: the shared folder is read-only,
# so the tool is copied to target/browser-play and its pinned npm packages are installed there
# (npm ci from its package-lock.json). Nothing is committed. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
SRC=${MDRM_SHARED:-$(cd .. && pwd)/shared}/tools/browser-play
DST=target/browser-play
if [ -d "$DST/node_modules" ] && diff -rq --exclude=node_modules "$SRC" "$DST" >/dev/null 2>&1; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "[browser-play] npm not found: installing Debian's nodejs and npm" >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >&2
fi
rm -rf "$DST"
mkdir -p "$DST"
cp -r "$SRC"/. "$DST"/
chmod -R u+w "$DST"
(cd "$DST" && npm ci --no-audit --no-fund --loglevel=error)
echo "[browser-play] installed in $DST"

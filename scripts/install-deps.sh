#!/usr/bin/env bash
# install-deps.sh — install what building and testing mdrm needs, when missing, on Debian.
#
#   1. A Rust toolchain (rustup, stable) if `cargo` is not found.
#   2. The Debian packages listed in scripts/deps/*.apt (one name per line, '#' comments),
#      in ONE apt-get call (never run two apt-get at once), with sudo only when not root.
#   3. Every scripts/deps/*.sh hook (npm/PyPI installs of single components), in name order.
#
# Idempotent: a second run installs nothing. Safe with no stdin (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "[install-deps] $*" >&2; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

apt_missing() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}
apt_install() {
  [ $# -gt 0 ] || return 0
  log "apt-get install $*"
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq --no-install-recommends "$@" >&2
}

# 1. Rust
if ! command -v cargo >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo" ]; then
  # shellcheck disable=SC2046
  apt_install $(apt_missing curl ca-certificates build-essential pkg-config)
  log "installing Rust (rustup, stable)"
  curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy >&2
fi

# 2. Debian packages
pkgs=$(cat scripts/deps/*.apt 2>/dev/null | sed 's/#.*//' | tr -s ' \t' '\n' | sed '/^$/d' | sort -u)
# shellcheck disable=SC2086
missing=$(apt_missing $pkgs)
# shellcheck disable=SC2086
apt_install $missing

# 3. Per-component hooks
for hook in scripts/deps/*.sh; do
  [ -e "$hook" ] || continue
  log "running $hook"
  "$hook" >&2
done

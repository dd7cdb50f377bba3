#!/usr/bin/env bash
# test.sh — THE test command of mdrm (README; .ci/run calls exactly this).
#
# Installs what the tests need when missing (scripts/install-deps.sh), fetches the peer
# tools (Shaka Packager, ffmpeg 8) with ../shared/tools/install-peers.sh, then runs:
#   cargo fmt --check, cargo clippy -D warnings, cargo test --workspace (all failures reported
#   at once: --no-fail-fast), cargo doc,
#   and every extra check in scripts/checks/*.sh (integration scripts, fuzz smoke runs).
# With MDRM_REQUIRE_TOOLS=1 a test whose tool is missing fails instead of skipping.
#
# Env: MDRM_SHARED (default ../shared), CI=true on CI (no stdin; same steps).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
step() { echo; echo "==== $* ===="; }
export MDRM_SHARED=${MDRM_SHARED:-$(cd "$ROOT/.." && pwd)/shared}
[ -d "$MDRM_SHARED/testmedia" ] || { echo "shared folder not found at $MDRM_SHARED (set MDRM_SHARED)" >&2; exit 1; }

step "install test dependencies"
scripts/install-deps.sh
# shellcheck disable=SC1091
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
# Peer tools from PyPI go into a venv under target/ (Debian's system pip refuses global installs).
if ! target/peers-venv/bin/python -m pip --version >/dev/null 2>&1; then
  rm -rf target/peers-venv && python3 -m venv target/peers-venv
fi
PEERS=$(PYTHON=target/peers-venv/bin/python "$MDRM_SHARED/tools/install-peers.sh" --no-apt)
eval "$PEERS"
export MDRM_REQUIRE_TOOLS=1
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked --no-fail-fast

step "cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

for check in scripts/checks/*.sh; do
  [ -e "$check" ] || continue
  step "$check"
  "$check"
done
step "all tests passed"

#!/usr/bin/env bash
# Licence, ban and source policy (deny.toml) when cargo-deny is installed
# (cargo install --locked cargo-deny). The advisory database needs github.com; run
# `cargo deny check advisories` where that is reachable.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! cargo deny --version >/dev/null 2>&1; then
  echo "SKIPPED: cargo-deny is not installed (cargo install --locked cargo-deny)"
  exit 0
fi
cargo deny check licenses bans sources

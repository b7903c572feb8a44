#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, clippy with warnings as errors, and every
# test of the workspace. Installs what it needs when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)" >&2; exit 1; }
. scripts/deps.sh
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
# The capture tests read Arrow captures back with pyarrow and DuckDB, as users will.
python3 -c 'import pyarrow, duckdb' 2>/dev/null || python3 -m pip install --quiet pyarrow duckdb
# tansu: a separate Kafka-compatible broker for the tests that need timestamp lookups (the mock
# cluster has none). Built from crates.io once (about 12 minutes on 2 cores).
command -v tansu >/dev/null || cargo install tansu --locked --features libsql --quiet
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace

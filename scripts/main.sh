#!/usr/bin/env bash
# The main job on embedded defaults (no Kafka, no Doris): the seed rt_events job previewed
# over the bundled sample messages, printed as the MySQL client shows Doris rows.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)" >&2; exit 1; }
exec cargo run --release --quiet -p routinely-pipeline --bin routinely -- preview \
  --table pipeline/samples/rt_events.table.sql \
  --job pipeline/samples/rt_events.job.sql \
  --messages pipeline/samples/rt_events.messages.ndjson "$@"

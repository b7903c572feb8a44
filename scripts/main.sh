#!/usr/bin/env bash
# The main job on embedded defaults (no Kafka, no Doris): the seed's rt_events job run over a
# generated clickstream capture into the local table sink (Parquet per committed epoch), exactly
# once, then its SHOW ROUTINE LOAD-style summary. Everything lands under target/demo/.
# Extra arguments go to `routinely run` (for example `-w 2`).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)" >&2; exit 1; }
. scripts/deps.sh
cargo build --release --quiet -p routinely-pipeline --bin routinely
bin=target/release/routinely
demo=target/demo
mkdir -p "$demo"
# A fresh run each time: a new capture, table and progress store.
rm -rf "$demo/table" "$demo/state"
"$bin" gen --out "$demo/events.arrow" --messages 200000 --partitions 4 --drift 0.02 --seed 42
exec "$bin" run \
  --table pipeline/samples/rt_events.table.sql \
  --job pipeline/samples/rt_events.job.sql \
  --source "capture:$demo/events.arrow" \
  --sink "local:$demo/table" \
  --state "$demo/state" "$@"

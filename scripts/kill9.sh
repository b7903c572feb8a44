#!/usr/bin/env bash
# The kill -9 test with more iterations than the suite's 30: a job is killed at random moments
# and restarted until its capture is committed; the table must equal one clean run's as a
# multiset of rows and the ledger's ranges must tile every partition.
# Usage: scripts/kill9.sh [ITERATIONS]   (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUTINELY_KILL_ITERATIONS="${1:-200}" exec cargo test --release -p routinely-pipeline --test run \
  kill_nine_at_random_moments -- --nocapture

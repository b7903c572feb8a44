#!/usr/bin/env bash
# The seeded exactly-once test of the Doris sink with more runs than the suite's 4: each seed
# starts the Doris test double with injected faults (HTTP 5xx, bodies cut mid-way, answers
# lost after they took effect, slow answers, late visibility, PREPARE expiry), kills the
# pipeline at random moments and restarts it until the capture is committed; the table must
# equal the local table of the same job, with no transaction left PRECOMMITTED.
# Usage: scripts/doris-faults.sh [SEEDS]   (default 100)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUTINELY_DORIS_SEEDS="${1:-100}" exec cargo test --release -p routinely-pipeline --test doris \
  seeded_runs_with_kills_and_faults -- --nocapture

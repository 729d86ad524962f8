#!/usr/bin/env bash
# Installs what Deltascope needs, builds it, and runs the main job on the bundled demo: a
# baseline and a quantized candidate lm-eval run, compared sample by sample.
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/setup-deps.sh
cmake --preset release -DDELTASCOPE_TESTS=OFF -DDELTASCOPE_BENCHMARKS=OFF
cmake --build --preset release --parallel "$(nproc)"
set +e
build/release/app/cli/deltascope-cli compare build/release/demo/baseline build/release/demo/candidate
status=$?
set -e
# Exit status 1 means "degradation found", which is what the demo shows.
[ "$status" -le 1 ]

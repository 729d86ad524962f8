#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what Deltascope needs, builds it, prints the verdict on the bundled demo (a baseline
# and a quantized candidate lm-eval run, compared sample by sample) and opens the window on it.
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
[ "$status" -le 1 ] || exit "$status"
app=build/release/app/gui/deltascope
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    exec "$app" --demo
fi
# No display: render what the window would show.
out=build/release/demo-output
mkdir -p "$out"
QT_QPA_PLATFORM=offscreen "$app" --demo --screenshot "$out/window.png" || [ $? -le 1 ]
QT_QPA_PLATFORM=offscreen "$app" --demo --export-report "$out/report.html" || [ $? -le 1 ]
echo "No display found: the window was rendered to $out/window.png and the report to $out/report.html"

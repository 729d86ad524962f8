#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Regenerates every screenshot in docs/ from the window's headless mode (--screenshot), so that the
# pictures never show an older window than the one built. Captions are in docs/gallery.md.
#
#   docs/make-gallery.sh [BUILD_DIR]      (default build/release; needs its app/gui/deltascope
#                                          and the demo runs it generated)
#
# The Inspect comparison uses the real logs in ../shared/data/real/inspect_logs when they are
# beside the checkout; without them that one picture is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
app=$build/app/gui/deltascope
[ -x "$app" ] || { echo "make-gallery: no $app (build the deltascope target first)" >&2; exit 2; }
out=docs
export QT_QPA_PLATFORM=offscreen
# The user's saved window layout must not leak into the pictures.
settings=$(mktemp -d)
trap 'rm -rf "$settings"' EXIT
export XDG_CONFIG_HOME=$settings XDG_DATA_HOME=$settings/data XDG_RUNTIME_DIR=$settings/run
mkdir -p "$settings/run" && chmod 700 "$settings/run"
export DELTASCOPE_DEMO_DIR=${DELTASCOPE_DEMO_DIR:-$build/demo}

# shot FILE SIZE ARGS...: renders; the exit status is the verdict (0, 1 or 3), 2 an error.
shot() {
    local file=$1 size=$2
    shift 2
    local status=0
    "$app" "$@" --size "$size" --screenshot "$out/$file" 2>/dev/null || status=$?
    if [ "$status" -eq 2 ] || [ ! -s "$out/$file" ]; then
        echo "make-gallery: $file failed: $app $* (exit $status)" >&2
        exit 2
    fi
    echo "$file ($size, $(du -k "$out/$file" | cut -f1) kB)"
}

small=1366x768
large=1920x1080

# First run: what each empty workspace says.
shot first-run-degradation.png $small --first-run
shot first-run-experts.png $small --first-run --workspace experts

# Degradation: the demo at both sizes, then every plot tab.
shot degradation-workspace.png $large --demo
shot degradation-1366x768.png $small --demo
shot degradation-p-values.png $small --demo --plot p-values
shot degradation-regressions.png $small --demo --plot regressions-improvements
shot degradation-power.png $small --demo --plot power
# The three-way verdict: the baseline against itself with a margin of 0.1 points: no flips, too few
# samples to rule out a drop of 0.1 points, so inconclusive (amber), with the samples each task needs.
shot three-way-verdict.png $small "$DELTASCOPE_DEMO_DIR/baseline" "$DELTASCOPE_DEMO_DIR/baseline" --margin 0.1

# Inspect logs (real ones, when the shared data is beside the checkout).
inspect=../shared/data/real/inspect_logs
if [ -d "$inspect" ]; then
    shot inspect-comparison.png $small \
        "$inspect/2025-09-15T15-02-26-04-00_popularity_LthYhadZHuQjsMYHHKRep2.eval" \
        "$inspect/2025-09-15T15-02-26-04-00_popularity_L8g2GLGDDfsiXvdJ8LyZNJ.eval"
else
    echo "make-gallery: $inspect not found: docs/inspect-comparison.png left as it is" >&2
fi

# Expert sharing: the demo trace at both sizes, then every tab.
shot expert-sharing-workspace.png $large --demo --workspace experts
shot experts-1366x768.png $small --demo --workspace experts
for plot in budget-sweep per-layer per-device slice coactivation batch-size; do
    shot "experts-$plot.png" $small --demo --workspace experts --plot "$plot"
done
shot experts-load-counts.png $small --counts resources/moe/olmoe_c4_counts.csv
# A real 32-layer trace (Mixtral-8x7B in vLLM), when the shared data is there: many layers.
mixtral=../shared/data/real/router_trace_mixtral8x7b_fp8_gsm8k/gsm8k_2_routing.jsonl
if [ -f "$mixtral" ]; then
    shot experts-32-layers.png $small "$mixtral" --budget 2 --plot per-layer
else
    echo "make-gallery: $mixtral not found: docs/experts-32-layers.png left as it is" >&2
fi

# Frontier: five expert budgets of the frontier demo against its baseline, with the trace.
shot frontier-workspace.png $small --demo --workspace frontier
shot frontier-workspace-1920x1080.png $large --demo --workspace frontier

total=$(du -ck "$out"/*.png | tail -1 | cut -f1)
echo "docs/*.png: $total kB in all"

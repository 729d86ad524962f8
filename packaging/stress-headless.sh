#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs the window's headless modes many times and reports any exit status other than the expected
# one, or any sanitizer report: the check for intermittent failures at start-up and shutdown
# (threads, the job runner) that one CI run may miss. Use a sanitizer build, ideally while the
# machine is loaded (e.g. a build running beside it).
#   packaging/stress-headless.sh BUILD_DIR [ROUNDS]        (default 50 rounds of 5 modes)
# BUILD_DIR: an ASan build (cmake --preset asan) or a ThreadSanitizer one (-fsanitize=thread); for
# ThreadSanitizer, packaging/tsan-qt.supp hides the races it reports inside Debian's Qt, which is
# not built with it.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: stress-headless.sh BUILD_DIR [ROUNDS]}
rounds=${2:-50}
app="$build/app/gui/deltascope"
demo="$build/demo"
[ -x "$app" ] || { echo "no $app: build the deltascope target first" >&2; exit 2; }
[ -d "$demo/baseline" ] || { echo "no demo runs in $demo: build the demo_runs target" >&2; exit 2; }
trace=../shared/data/real/router_trace_mixtral8x7b_fp8_gsm8k/gsm8k_2_routing.jsonl
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [ ! -f "$trace" ]; then
    trace="$out/synthetic.safetensors"
    "$build/app/cli/deltascope-cli" synth-trace "$trace" --requests 8 --tokens 16 --layers 4 --experts 16 \
        --top-k 2 > /dev/null || exit 2
fi
export QT_QPA_PLATFORM=offscreen DELTASCOPE_DEMO_DIR="$demo"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0 report_signal_unsafe=0 suppressions=$PWD/packaging/tsan-qt.supp}
bad=0
total=0
for ((i = 1; i <= rounds; ++i)); do
    for mode in pdf html png trace-png trace-html; do
        expected=1 # the demo's candidate is degraded
        case $mode in
        pdf) args=(--demo --export-report "$out/r.pdf") ;;
        html) args=("$demo/baseline" "$demo/candidate" --export-report "$out/r.html") ;;
        png) args=(--demo --screenshot "$out/s.png" --size 1280x800) ;;
        trace-png) args=(--trace "$trace" --screenshot "$out/t.png" --size 1280x800) expected=0 ;;
        trace-html) args=(--trace "$trace" --export-report "$out/t.html") expected=0 ;;
        esac
        "$app" "${args[@]}" > "$out/log" 2>&1
        status=$?
        total=$((total + 1))
        if [ "$status" -ne "$expected" ] || grep -q "Sanitizer\|runtime error" "$out/log"; then
            bad=$((bad + 1))
            echo "round $i, $mode: exit $status (expected $expected)"
            grep -m 5 "Sanitizer\|runtime error\|deltascope:" "$out/log"
        fi
    done
done
echo "stress-headless: $total runs, $bad unexpected"
[ "$bad" -eq 0 ]

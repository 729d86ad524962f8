#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Every CPU benchmark of DESIGN 6 next to its peer, on the same files, in one run: the loader
# against a plain Python script, expert selection against numpy, the window's budget step, the
# sign-flip test. Prints one table (Markdown) at the end; the README's performance table is its
# output on the development machine. Run it on a quiet machine.
#   bench/run-all-benchmarks.sh [BUILD_DIR] [LOAD_MB] [TRACE_GB]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/dev}
load_mb=${2:-500}
trace_gb=${3:-1}
py=/usr/bin/python3
[ -x "$py" ] || py=python3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
field() { sed -n "s/^$2.*$3 *\([0-9.]*\).*/\1/p" "$1" | head -1; }

# Loader: two lm-eval runs shaped like real ones (long few-shot prompts with escapes and non-ASCII
# text, nested docs, several filters), one thread and all threads, then the Python script.
data=${BENCH_DATA:-/tmp/deltascope-bench-$load_mb}
[ -d "$data/baseline" ] || "$py" "$here/../resources/demo/make_lmeval_runs.py" "$data" --benchmark-mb "$load_mb"
cat "$data"/baseline/*/*.jsonl "$data"/candidate/*/*.jsonl > /dev/null
"$build/bench/bench_load" "$data/baseline" "$data/candidate" 1 3 | tee "$out/load1"
"$build/bench/bench_load" "$data/baseline" "$data/candidate" "$(nproc)" 3 | tee "$out/loadn"
"$py" "$here/peer_compare.py" "$data/baseline" "$data/candidate" | tee "$out/loadpy"

# Expert selection on a dense fp32 trace: one budget, every budget, the window's step.
tokens=$(awk -v s="$trace_gb" 'BEGIN { printf "%d", s * 1e9 / (16 * 128 * 4) }')
trace=${BENCH_TRACE:-/tmp/deltascope-xshare-${trace_gb}g.safetensors}
[ -f "$trace" ] || "$build/app/cli/deltascope-cli" synth-trace "$trace" --requests $((tokens / 256)) --tokens 256 \
    --layers 16 --experts 128 --top-k 8 > /dev/null
cat "$trace" > /dev/null
"$build/bench/bench_xshare" "$trace" 1 64 16 one,sweep | tee "$out/x1"
"$build/bench/bench_xshare" "$trace" "$(nproc)" 64 16 one,sweep | tee "$out/xn"
"$py" "$here/peer_xshare.py" "$trace" 64 16 | tee "$out/xpy"
step=""
if [ -x "$build/bench/bench_window_step" ]; then
    QT_QPA_PLATFORM=offscreen "$build/bench/bench_window_step" "$trace" 16 | tee "$out/step"
    step=$(sed -n 's/^RESULT step_ms=\([0-9.]*\).*/\1/p' "$out/step")
fi
"$build/bench/bench_stats" | tee "$out/stats"

result() { sed -n 's/^RESULT seconds=\([0-9.]*\).*/\1/p' "$1"; }
gb() { sed -n 's/^RESULT seconds=[0-9.]* gb=\([0-9.]*\).*/\1/p' "$1"; }
l1=$(result "$out/load1"); ln=$(result "$out/loadn"); lp=$(result "$out/loadpy"); lg=$(gb "$out/load1")
x1=$(result "$out/x1"); xn=$(result "$out/xn"); xp=$(result "$out/xpy"); xg=$(gb "$out/x1")
s1=$(sed -n 's/^batch greedy, all budgets (one pass) *\([0-9.]*\) s.*/\1/p' "$out/x1")
sn=$(sed -n 's/^batch greedy, all budgets (one pass) *\([0-9.]*\) s.*/\1/p' "$out/xn")
sf=$(sed -n 's/^sign-flip.*, 2 thread(s): \([0-9.]*\) s.*/\1/p' "$out/stats" | head -1)
ex=$(sed -n 's/^exact tests + aggregation.*: \([0-9.]*\) ms.*/\1/p' "$out/stats")
n=$(nproc)
echo
echo "| What (this machine: $n cores) | Deltascope | Peer | Ratio | Target |"
echo "|---|---|---|---|---|"
awk -v a="$l1" -v b="$ln" -v p="$lp" -v g="$lg" -v n="$n" 'BEGIN {
    printf "| Load + pair + test two lm-eval runs (%.2f GB), 1 thread | %.2f s (%.2f GB/s) | Python json + scipy: %.1f s | %.0fx | >= 2 GB/s per core, >= 10x |\n", g, a, g / a, p, p / a
    printf "| The same, %d threads | %.2f s (%.2f GB/s per core) | | %.0fx | |\n", n, b, g / b / n, p / b }'
awk -v a="$x1" -v b="$xn" -v p="$xp" -v g="$xg" -v s="$s1" -v n="$n" -v sn="$sn" 'BEGIN {
    printf "| XShare batch greedy, one budget, %.2f GB fp32 trace, 1 thread | %.2f s (%.2f GB/s) | numpy: %.1f s | %.0fx | >= 4 GB/s per core |\n", g, a, g / a, p, p / a
    printf "| The same, %d threads | %.2f s (%.2f GB/s per core) | | %.0fx | |\n", n, b, g / b / n, p / b
    printf "| Every budget (one sweep) / one budget, 1 thread | %.2f s (%.2fx) | | | <= 1.5x |\n", s, s / a
    printf "| The same, %d threads | %.3f s against %.3f s (%.2fx) | | | |\n", n, sn, b, sn / b }'
[ -n "$step" ] && awk -v s="$step" -v n="$n" 'BEGIN {
    printf "| Window budget step until every view is drawn, 1 GB trace, %d cores (worst of 8) | %.1f ms | | | < 300 ms |\n", n, s }'
[ -n "$sf" ] && awk -v s="$sf" 'BEGIN { printf "| Sign-flip test, 25,000 samples x 10,000 permutations, 2 threads | %.3f s | | | < 0.2 s |\n", s }'
[ -n "$ex" ] && awk -v s="$ex" 'BEGIN { printf "| Exact tests + aggregation, 100 tasks x 1M samples | %.1f ms | | | < 50 ms |\n", s }'

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# XShare CPU benchmark: generates a dense fp32 trace of about SIZE_GB (default 1), then times the
# CPU backend (one budget, all budgets, other policies) and the numpy implementation of the
# batch-greedy policy on the same file, and prints the ratio.
#   bench/run-xshare-benchmark.sh [BUILD_DIR] [SIZE_GB]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/dev}
size=${2:-1}
trace=${BENCH_TRACE:-/tmp/deltascope-xshare-${size}g.safetensors}
py=/usr/bin/python3
[ -x "$py" ] || py=python3
# 128 experts, 16 layers: 8 KiB per token; requests of about 256 tokens.
tokens=$(awk -v s="$size" 'BEGIN { printf "%d", s * 1e9 / (16 * 128 * 4) }')
requests=$(( tokens / 256 ))
if [ ! -f "$trace" ]; then
    "$build/app/cli/deltascope-cli" synth-trace "$trace" --requests "$requests" --tokens 256 --layers 16 --experts 128 --top-k 8
fi
"$build/bench/bench_xshare" "$trace" 1 64 16 | tee /tmp/ds-xshare-1.txt
"$build/bench/bench_xshare" "$trace" "$(nproc)" 64 16 | tee /tmp/ds-xshare-n.txt
"$py" "$here/peer_xshare.py" "$trace" 64 16 | tee /tmp/ds-xshare-py.txt
a=$(sed -n 's/^RESULT seconds=\([0-9.]*\).*/\1/p' /tmp/ds-xshare-1.txt)
b=$(sed -n 's/^RESULT seconds=\([0-9.]*\).*/\1/p' /tmp/ds-xshare-n.txt)
p=$(sed -n 's/^RESULT seconds=\([0-9.]*\).*/\1/p' /tmp/ds-xshare-py.txt)
awk -v a="$a" -v b="$b" -v p="$p" 'BEGIN { printf "speed-up over numpy: %.1fx on one thread, %.1fx on all cores\n", p / a, p / b }'

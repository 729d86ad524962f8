#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Loader benchmark: generates two realistic lm-eval runs (long prompts, about SIZE_MB each, default
# 500), then times deltascope (load + pair + tests) and a plain Python script doing the same work on
# the same files, and prints the ratio.
#   bench/run-load-benchmark.sh [BUILD_DIR] [SIZE_MB]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/dev}
size=${2:-500}
data=${BENCH_DATA:-/tmp/deltascope-bench-$size}
py=/usr/bin/python3
[ -x "$py" ] || py=python3

if [ ! -d "$data/baseline" ]; then
    echo "generating two runs of about $size MB each in $data ..."
    "$py" "$here/../resources/demo/make_lmeval_runs.py" "$data" --benchmark-mb "$size"
fi
du -sh "$data/baseline" "$data/candidate"
cat "$data"/baseline/*/*.jsonl "$data"/candidate/*/*.jsonl > /dev/null  # warm the page cache

"$build/bench/bench_load" "$data/baseline" "$data/candidate" 1 3 | tee /tmp/ds-bench-1.txt
"$build/bench/bench_load" "$data/baseline" "$data/candidate" "$(nproc)" 3 | tee /tmp/ds-bench-n.txt
"$py" "$here/peer_compare.py" "$data/baseline" "$data/candidate" | tee /tmp/ds-bench-py.txt

ds1=$(sed -n 's/^RESULT seconds=\([0-9.]*\).*/\1/p' /tmp/ds-bench-1.txt)
dsn=$(sed -n 's/^RESULT seconds=\([0-9.]*\).*/\1/p' /tmp/ds-bench-n.txt)
pyt=$(sed -n 's/^RESULT seconds=\([0-9.]*\).*/\1/p' /tmp/ds-bench-py.txt)
awk -v a="$ds1" -v b="$dsn" -v p="$pyt" 'BEGIN {
    printf "speed-up over the Python script: %.1fx on one thread, %.1fx on all cores\n", p / a, p / b }'

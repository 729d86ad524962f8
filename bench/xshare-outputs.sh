#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Writes the JSON of a fixed set of xshare runs (one budget with every slice, every budget, the
# expert-parallel and speculative policies, no warm-up, the demo trace slice by slice) into OUT_DIR,
# so that a speed change can be checked to leave every result bit for bit the same:
#   bench/xshare-outputs.sh CLI OUT_DIR [TRACE]      then  diff -r BEFORE_DIR AFTER_DIR
# TRACE defaults to the 1 GB benchmark trace that run-all-benchmarks.sh makes; xshare-outputs-more.sh
# adds 42 runs on small synthetic traces and the real router logs.
set -euo pipefail
cli=$1
out=$2
trace=${3:-/tmp/deltascope-xshare-1g.safetensors}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
run() { "$cli" xshare "$@" --format json --threads 2 2> /dev/null; }
run "$trace" --budget 16 --batch-size 64 --per-slice > "$out/one.json"
run "$trace" --budgets all --batch-size 64 > "$out/all.json"
run "$trace" --budget 24 --batch-size 64 --per-slice > "$out/one24.json"
run "$trace" --budget 32 --batch-size 16 --warmup 0 > "$out/one32.json"
run "$trace" --budgets 9,24,40 --batch-size 32 --policy ep > "$out/ep.json"
run "$trace" --budgets all --batch-size 16 --policy spec > "$out/spec.json"
run "$trace" --budgets 8,12,100 --batch-size 128 --warmup 0 --devices 4 > "$out/w0.json"
run "$root/resources/demo/frontier/trace.safetensors" --budgets all --per-slice > "$out/demo.json"

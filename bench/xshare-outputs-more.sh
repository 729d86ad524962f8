#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# More xshare runs for a bit-for-bit check of a speed change, beside xshare-outputs.sh: every budget
# on synthetic traces of 64, 128 and 256 experts (batch sizes 3, 64, 100), the speculative policy,
# 1 to 16 devices, no warm-up, and the real router logs in ../shared/data/real (Mixtral gsm8k, vLLM
# OLMoE and Qwen), each once with the machine's best kernels and once with the AVX2 ones:
#   bench/xshare-outputs-more.sh CLI OUT_DIR      then  diff -r BEFORE_DIR AFTER_DIR
set -euo pipefail
cli=$1
out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
real=$root/../shared/data/real
# The synthetic traces live in one folder for both runs: the JSON names its trace's path.
syn=${XSHARE_TRACES:-${TMPDIR:-/tmp}/deltascope-xshare-more}
mkdir -p "$out" "$syn"
for e in 64 128 256; do
    [ -f "$syn/syn$e.safetensors" ] || "$cli" synth-trace "$syn/syn$e.safetensors" --requests 40 --tokens 100 \
        --layers 4 --experts $e --top-k 8 > /dev/null
done
i=0
run() {
    i=$((i + 1))
    local rc=0
    "$cli" xshare "$@" --format json --threads 2 > "$out/r$i.json" 2> /dev/null || rc=$?
    echo "exit $rc" >> "$out/r$i.json"
}
for kernels in best avx2; do
    if [ "$kernels" = avx2 ]; then export DELTASCOPE_CPU_KERNELS=avx2; fi
    for e in 64 128 256; do
        for b in 3 64 100; do run "$syn/syn$e.safetensors" --budgets all --batch-size $b; done
    done
    run "$syn/syn128.safetensors" --budgets all --batch-size 16 --policy spec
    for g in 1 3 8 16; do run "$syn/syn128.safetensors" --budgets all --batch-size 64 --devices $g; done
    run "$syn/syn256.safetensors" --budgets all --batch-size 64 --devices 12
    run "$syn/syn64.safetensors" --budgets all --batch-size 64 --warmup 0
    if [ -d "$real" ]; then
        run "$real/router_trace_mixtral8x7b_fp8_gsm8k/gsm8k_2_routing.jsonl" --budgets all --per-slice
        run "$real/router_trace_mixtral8x7b_fp8_gsm8k/gsm8k_2_routing.jsonl" --budgets all --policy spec
        run "$real/vllm_moe_routes/olmoe_route_logger/moe_routes.jsonl" --budgets all --per-slice
        run "$real/vllm_moe_routes/olmoe_route_logger/moe_routes.jsonl" --budgets all --devices 4
        run "$real/vllm_moe_routes/qwen15moe_layer_logger/moe_layer0.jsonl" --budgets all --per-slice
    fi
    unset DELTASCOPE_CPU_KERNELS
done
echo "$i runs written to $out"

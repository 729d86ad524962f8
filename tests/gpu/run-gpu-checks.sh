#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Every GPU check in one run, for the machine with the H200 (CUDA, CMake, ninja, python3 with
# torch; no Debian packages: the header-only dependencies travel in .deps/include, made by
# packaging/gpu-deps.sh on a development machine). Builds the trace, statistics and GPU targets,
# runs the GPU tests (parity with the CPU backend, resident and streamed), the GPU benchmark next to
# the PyTorch peer on the same trace, the CPU benchmark on this machine's cores and the Hugging Face
# exporter check, and writes the logs and a summary under OUT (default ./gpu-check-out).
#   tests/gpu/run-gpu-checks.sh [OUT]
# DELTASCOPE_GPU_TRACE_GB sets the benchmark trace size (default 2); DELTASCOPE_GPU_CMAKE_ARGS adds
# configure options (e.g. -DCMAKE_DISABLE_FIND_PACKAGE_Qt6=ON to rehearse on a full machine).
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:-${OUT:-gpu-check-out}}
mkdir -p "$out"
summary="$out/summary.txt"
: > "$summary"
say() { echo "$*" | tee -a "$summary"; }
step() {
    local name=$1
    shift
    local t0=$SECONDS
    "$@" > "$out/$name.log" 2>&1
    local rc=$?
    say "$name: exit $rc ($((SECONDS - t0)) s)"
    return $rc
}

[ -f .deps/include/nlohmann/json.hpp ] || say "note: .deps/include is missing; the build needs Boost.Math and nlohmann_json headers"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$out/gpu.txt" 2>&1 || true
say "device: $(tail -n +2 "$out/gpu.txt" | head -1)"

step configure cmake -S . -B build/gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DDELTASCOPE_GUI=OFF \
    -DDELTASCOPE_TESTS=ON -DDELTASCOPE_BENCHMARKS=ON -DCMAKE_CUDA_ARCHITECTURES=90 ${DELTASCOPE_GPU_CMAKE_ARGS:-} \
    || { cat "$out/configure.log"; exit 1; }
step build cmake --build build/gpu --parallel "$(nproc)" || { tail -50 "$out/build.log"; exit 1; }
# Real traces carried in .deps/traces (packaging/gpu-deps.sh) join the parity cases.
DELTASCOPE_PARITY_TRACES=$(ls "$PWD"/.deps/traces/*.safetensors 2> /dev/null | tr '\n' ':' || true)
export DELTASCOPE_PARITY_TRACES
step gpu-tests ctest --test-dir build/gpu --output-on-failure
grep -E "Passed|Failed|Skipped|device|ms" "$out/gpu-tests.log" | tee -a "$summary"
# The sign-flip parity lines (continued batches, the studentized combination) for the record.
step signflip build/gpu/tests/tst_gpu_signflip
grep -E "^ok|^FAIL|identical" "$out/signflip.log" | tee -a "$summary"

gb=${DELTASCOPE_GPU_TRACE_GB:-2}
trace=/tmp/deltascope-xshare-${gb}g.safetensors
[ -f "$trace" ] || step make-trace build/gpu/bench/make_trace "$trace" "$gb"
step bench-gpu build/gpu/bench/bench_xshare_gpu "$trace" 64 16
grep -vE "^device" "$out/bench-gpu.log" | tee -a "$summary"
step peer-torch python3 bench/peer_xshare_torch.py "$trace" 64 16
grep -E "^torch|Error|error" "$out/peer-torch.log" | tee -a "$summary"
# The ratio the issue asks for: the PyTorch peer's time over Deltascope's kernels, one budget.
ours=$(sed -n 's/^batch greedy, one budget.* \([0-9.]*\) ms kernels.*/\1/p' "$out/bench-gpu.log" | head -1)
theirs=$(sed -n 's/^RESULT seconds=\([0-9.]*\).*/\1/p' "$out/peer-torch.log" | head -1)
if [ -n "$ours" ] && [ -n "$theirs" ]; then
    say "torch / deltascope, one budget over the trace: $(python3 -c "print(f'{$theirs * 1000 / $ours:.1f}x')")"
fi
step bench-cpu-all build/gpu/bench/bench_xshare "$trace" "$(nproc)" 64 16
step bench-cpu-one build/gpu/bench/bench_xshare "$trace" 1 64 16 one,sweep
grep -E "budget|GB/s|RSS" "$out/bench-cpu-all.log" "$out/bench-cpu-one.log" | tee -a "$summary"

mkdir -p "$out/exporter"
step exporter bash resources/exporters/check_exporter.sh "$out/exporter"
grep -E "^ok|Error|error" "$out/exporter.log" | tee -a "$summary"
say "logs in $out"

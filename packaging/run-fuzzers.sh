#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the libFuzzer targets with clang (AddressSanitizer + UBSan) and runs each for a bounded
# time, starting from its committed corpus (tests/fuzz/corpus/<target>). New interesting inputs go
# to a scratch folder, not into the repository. A crash stops the run with the input saved under
# OUT/crashes; fix the parser and commit the input as tests/fuzz/corpus/<target>/crash_<name> so
# the regression corpus (run by ctest in every build) keeps it.
#   packaging/run-fuzzers.sh [SECONDS_PER_TARGET] [OUT] [TARGET...]   (default 20 s, build/fuzz-out,
#                                                                    every target)
# Naming targets (e.g. vllm_routes jsonl_trace) builds and runs only those. DELTASCOPE_FUZZ_JOBS
# bounds the build's parallel jobs (default: every core).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
out=${2:-build/fuzz-out}
shift $(($# < 2 ? $# : 2))
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for corpus in tests/fuzz/corpus/*/; do
        targets+=("$(basename "$corpus")")
    done
fi
for target in "${targets[@]}"; do
    if [ ! -d "tests/fuzz/corpus/$target" ]; then
        echo "run-fuzzers: no target $target (tests/fuzz/corpus/$target is missing)" >&2
        exit 1
    fi
done
if ! command -v clang++ > /dev/null; then
    echo "run-fuzzers: clang++ not found (packaging/setup-deps.sh --with-tests installs it)" >&2
    exit 1
fi
CXX=clang++ CC=clang cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDELTASCOPE_FUZZ=ON \
    > /dev/null
cmake --build build/fuzz --target "${targets[@]/#/fuzz_}" --parallel "${DELTASCOPE_FUZZ_JOBS:-$(nproc)}"
rm -rf "$out"
mkdir -p "$out/crashes"
status=0
for target in "${targets[@]}"; do
    corpus="tests/fuzz/corpus/$target/"
    work="$out/corpus/$target"
    mkdir -p "$work"
    # -rss_limit_mb and -timeout turn memory blow-ups and hangs into failures too. A fixed seed
    # makes a CI run repeat what a longer run here already explored (DELTASCOPE_FUZZ_SEED=0: random).
    if build/fuzz/tests/fuzz/fuzz_"$target" "$work" "$corpus" -max_total_time="$seconds" -timeout=10 \
        -seed="${DELTASCOPE_FUZZ_SEED:-1}" \
        -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$out/crashes/${target}_" \
        > "$out/$target.log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$target.log")
        echo "fuzz_$target: ${runs:-?} inputs in ${seconds} s, no crash"
    else
        echo "fuzz_$target: FAILED (see $out/$target.log)"
        grep -E "ERROR|SUMMARY|Test unit written" "$out/$target.log" | head -5
        status=1
    fi
done
exit $status

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Collects the header-only dependencies of the trace, statistics and GPU libraries (Boost.Math and
# nlohmann_json) into .deps/include, from a machine that has the Debian packages, so that a machine
# without them (the GPU check machine) can build those targets: the folder travels with the tree.
#   packaging/gpu-deps.sh            (run from the repository, after packaging/setup-deps.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
out=.deps/include
rm -rf "$out"
mkdir -p "$out"
cp -r /usr/include/nlohmann "$out/"
# Every Boost header the statistics code reaches, found by the preprocessor.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grep -rh '#include <boost/' core | sort -u > "$tmp/all.cpp"
g++ -std=c++20 -M "$tmp/all.cpp" | tr ' \\' '\n\n' | grep '^/usr/include/boost/' | sort -u > "$tmp/headers"
while read -r h; do
    rel=${h#/usr/include/}
    mkdir -p "$out/$(dirname "$rel")"
    cp "$h" "$out/$rel"
done < "$tmp/headers"
echo "gpu-deps: $(wc -l < "$tmp/headers") Boost headers and nlohmann_json in $out ($(du -sh "$out" | cut -f1))"

# The real Mixtral router trace, converted to the native format (the GPU machine has no ../shared
# and no JSONL importer): the GPU parity test runs on it too.
mixtral=../shared/data/real/router_trace_mixtral8x7b_fp8_gsm8k/gsm8k_2_routing.jsonl
cli=${DELTASCOPE_CLI:-build/dev/app/cli/deltascope-cli}
if [ -f "$mixtral" ] && [ -x "$cli" ]; then
    mkdir -p .deps/traces
    "$cli" convert "$mixtral" .deps/traces/mixtral8x7b_gsm8k.safetensors > /dev/null
    echo "gpu-deps: the Mixtral trace in .deps/traces"
fi

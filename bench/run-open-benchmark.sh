#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Opening a trace larger than memory: writes a 10 GB dense fp32 trace as a sparse file (the
# header and request ids are real; the scores are a hole that reads as zeros, so no disk space is
# used), then measures the peak resident memory of `deltascope-cli trace-info --no-score-check` on
# it (target: under 100 MB; the file is mapped, never read whole), of `trace-info` with its check of
# every score (read 64 MB at a time, each block let go once read), and of an XShare run over its
# first 2,048 tokens.
#   bench/run-open-benchmark.sh [BUILD_DIR] [GB]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/dev}
gb=${2:-10}
cli="$build/app/cli/deltascope-cli"
trace=$(mktemp -d)/huge.safetensors
trap 'rm -rf "$(dirname "$trace")"' EXIT
/usr/bin/python3 - "$trace" "$gb" <<'PY'
import json, struct, sys
path, gb = sys.argv[1], float(sys.argv[2])
L, N, k = 16, 128, 8
T = int(gb * 1e9 / (L * N * 4))
scores = T * L * N * 4
req = T * 4
header = {"__metadata__": {"model": "sparse-file", "num_experts": str(N), "top_k": str(k), "score_kind": "probs"},
          "request_id": {"dtype": "I32", "shape": [T], "data_offsets": [0, req]},
          "scores": {"dtype": "F32", "shape": [T, L, N], "data_offsets": [req, req + scores]}}
h = json.dumps(header).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h)
    f.write(struct.pack("<%di" % (T,), *[t // 256 for t in range(T)]))
    f.truncate(8 + len(h) + req + scores)
print(f"trace {path}: {T} tokens x {L} layers x {N} experts, {(8 + len(h) + req + scores) / 1e9:.2f} GB (sparse file)")
PY
peak() { /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1; }
kb=$(peak "$cli" trace-info "$trace" --no-score-check)
echo "trace-info --no-score-check on the ${gb} GB trace: peak resident $((kb / 1024)) MB (target: under 100 MB)"
read -r secs kb < <(/usr/bin/time -f "%e %M" "$cli" trace-info "$trace" 2>&1 >/dev/null | tail -1)
echo "trace-info with its pass over every score: peak resident $((kb / 1024)) MB, ${secs} s"
kb=$(peak "$cli" xshare "$trace" --requests 0,1,2,3,4,5,6,7 --batch-size 8 --budget 16 --backend cpu)
echo "xshare over 8 requests (2,048 tokens) of it: peak resident $((kb / 1024)) MB"

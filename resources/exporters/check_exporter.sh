#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs the exporter on small randomly initialised models of each supported family (no download)
# and checks the files it writes. Needs python3 with torch and transformers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$(mktemp -d)}
printf 'The quick brown fox\nExperts route tokens\n' > "$out/prompts.txt"
for kind in mixtral qwen2_moe olmoe; do
    python3 "$here/export_hf_router_trace.py" --random-config "$kind" --prompts "$out/prompts.txt" \
        --max-new-tokens 6 --output "$out/$kind.safetensors"
    python3 - "$out/$kind.safetensors" <<'PY'
import json, struct, sys
path = sys.argv[1]
with open(path, "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    h = json.loads(f.read(n))
    size = 8 + n + len(f.read())
meta = h["__metadata__"]
t, l, e = h["scores"]["shape"]
assert t == 12 and int(meta["num_experts"]) == e and len(meta["layers"].split(",")) == l, (t, l, e, meta)
assert h["request_id"]["data_offsets"][1] + 8 + n == size
print(f"ok: {path}: {t} tokens x {l} layers x {e} experts, top-{meta['top_k']}, {meta['score_kind']}")
PY
    if [ -x "${DELTASCOPE_CLI:-}" ]; then "$DELTASCOPE_CLI" trace-info "$out/$kind.safetensors"; fi
done

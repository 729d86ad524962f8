#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Counts the forward passes (batches) of vLLM route logs by an independent reading of the files,
and writes what it found to expected_batches.json next to this script. tst_vllmroutes compares the
importer's recorded batches, and xshare's per-batch token counts, with these numbers.

The reading here: a route log is a meta record, then route records. For each layer separately,
its records are taken in file order and cut into passes wherever token_idx is 0 (every pass
numbers its rows from 0; the checks below fail loudly if a file breaks that). Every layer must
then show the same passes with the same sizes; the pass sizes are the batch sizes. Passes in which
every token routes alike (same ids, same weights: dummy-input runs) are listed too.

    /usr/bin/python3 tests/data/vllm/count_vllm_batches.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
REAL = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "data", "real"))

# name -> path; the real files are read from ../shared/data/real when it is beside the checkout.
FILES = {
    "two_layers.jsonl": os.path.join(HERE, "two_layers.jsonl"),
    "vllm_moe_routes/qwen15moe_layer_logger/moe_layer0.jsonl": None,
    "vllm_moe_routes/qwen15moe_layer_logger/moe_layer12.jsonl": None,
    "vllm_moe_routes/olmoe_route_logger/moe_routes.jsonl": None,
}


def count(path):
    with open(path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    meta, routes = records[0], records[1:]
    assert meta["type"] == "meta", path
    assert all(r["type"] == "route" for r in routes), path
    per_layer = {}
    for r in routes:
        passes = per_layer.setdefault(r["layer"], [])
        if r["token_idx"] == 0:
            passes.append([])
        assert passes, f"{path}: layer {r['layer']} does not start at token_idx 0"
        # rows of a pass are numbered 0, 1, 2, ... without gaps
        assert r["token_idx"] == len(passes[-1]), f"{path}: token_idx {r['token_idx']} out of sequence"
        passes[-1].append(r)
    sizes = {layer: [len(p) for p in passes] for layer, passes in per_layer.items()}
    first = next(iter(sizes.values()))
    assert all(s == first for s in sizes.values()), f"{path}: layers disagree on the passes"
    # Passes in which every token of each layer has the same ids and weights (dummy-input runs).
    alike = [n for n in range(len(first)) if first[n] > 1 and all(
        len({(tuple(r["topk_ids"]), tuple(r["topk_weights"])) for r in passes[n]}) == 1
        for passes in per_layer.values())]
    ids = [i for r in routes for i in r["topk_ids"]]
    return {
        "model": meta.get("model_id", ""),
        "top_k": meta.get("top_k", len(routes[0]["topk_ids"])),
        "experts": meta.get("num_experts", max(ids) + 1),
        "layers": sorted(per_layer),
        "route_records": len(routes),
        "tokens": sum(first),
        "batches": len(first),
        "tokens_per_batch": first,
        "uniform_batches": alike,
    }


def main():
    out = {}
    for name, path in FILES.items():
        path = path or os.path.join(REAL, name)
        if not os.path.exists(path):
            raise SystemExit(f"missing {path}: run this with ../shared/data/real beside the checkout")
        out[name] = count(path)
        print(f"{name}: {out[name]['batches']} batches, {out[name]['tokens']} tokens")
    with open(os.path.join(HERE, "expected_batches.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

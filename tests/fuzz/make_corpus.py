#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the seed corpus of every fuzz target (tests/fuzz/corpus/<target>/seed_*) from the test
fixtures in tests/data and the real files in ../shared/data/real, cut to a few KB each, plus small
synthetic traces. Inputs that once crashed a parser are kept beside the seeds as crash_* files and
are never rewritten by this script.

    /usr/bin/python3 tests/fuzz/make_corpus.py
"""
import glob
import io
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
DATA = os.path.join(ROOT, "tests", "data")
REAL = os.path.join(ROOT, "..", "shared", "data", "real")
OUT = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed_" + name), "wb") as f:
        f.write(data)


def head(path, lines=None, limit=16000):
    with open(path, "rb") as f:
        data = f.read()
    if lines is not None:
        data = b"".join(data.splitlines(True)[:lines])
    return data[:limit]


def safetensors(tensors, metadata):
    header = {"__metadata__": metadata}
    blob = b""
    for name, (dtype, arr) in tensors.items():
        raw = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [len(blob), len(blob) + len(raw)]}
        blob += raw
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + blob


def main():
    rng = np.random.default_rng(7)
    # lm-eval results and samples, every layout in the fixtures.
    for i, p in enumerate(sorted(glob.glob(os.path.join(DATA, "eval", "*", "*", "*", "results*.json")))[:4]):
        put("results", f"fixture{i}.json", head(p))
    for i, p in enumerate(sorted(glob.glob(os.path.join(REAL, "lmeval_*", "**", "results*.json"), recursive=True))[:3]):
        put("results", f"real{i}.json", head(p, limit=30000))
    for i, p in enumerate(sorted(glob.glob(os.path.join(DATA, "eval", "layout_*", "baseline", "*", "*gsm8k*")))):
        put("samples", f"fixture{i}.jsonl", head(p) if p.endswith("l") and "0.4.0" not in p else head(p, limit=70000))
    gsm = glob.glob(os.path.join(REAL, "lmeval_gsm8k_tiny", "samples_*.jsonl"))
    if gsm:
        put("samples", "real_gsm8k.jsonl", head(gsm[0], lines=3))
    # Score tables: JSONL, and the same rows as CSV and TSV (first byte: 0 csv, 1 tsv, 2 jsonl).
    mmlu = os.path.join(REAL, "mmlu_llama31_8b_fp16_vs_q4", "mmlu_fp16.jsonl")
    rows = [json.loads(l) for l in head(mmlu, lines=30).splitlines() if l.strip()] if os.path.exists(mmlu) else []
    if rows:
        put("table", "mmlu.jsonl", b"\x02" + head(mmlu, lines=30))
    synthetic = [{"doc_id": i, "task": "t%d" % (i % 3), "score": float(i % 2)} for i in range(40)]
    put("table", "synthetic.csv", "\x00doc_id,task,score\n" + "".join(f"{r['doc_id']},{r['task']},{r['score']}\n" for r in synthetic))
    put("table", "synthetic.tsv", "\x01doc_id\ttask\tscore\n" + "".join(f"{r['doc_id']}\t{r['task']}\t{r['score']}\n" for r in synthetic))
    put("table", "quoted.csv", '\x00id,score,task\n"a,1",0.5,"x ""y"""\n2,nan,z\n3,1e400,z\n')
    # Native traces.
    T, L, N, k = 12, 2, 8, 2
    g = rng.random((T, L, N), dtype=np.float32)
    g /= g.sum(-1, keepdims=True)
    req = np.repeat(np.arange(3, dtype=np.int32), 4)
    meta = {"model": "seed", "num_experts": str(N), "top_k": str(k), "score_kind": "probs", "norm_topk_prob": "true"}
    put("safetensors", "dense_f32.safetensors", safetensors({"scores": ("F32", g), "request_id": ("I32", req)}, meta))
    logits = rng.normal(size=(T, L, N)).astype(np.float32)
    bf16 = (logits.view(np.uint32) >> 16).astype(np.uint16)
    meta_l = dict(meta, score_kind="logits", layers="3,7")
    steps = np.arange(T, dtype=np.int32) // 3
    put("safetensors", "dense_bf16_logits_steps.safetensors",
        safetensors({"scores": ("BF16", bf16), "request_id": ("I32", req), "step_id": ("I32", steps)}, meta_l))
    ids = np.argsort(-g, axis=-1)[:, :, :k].astype(np.int32)
    ts = np.take_along_axis(g, ids, -1).astype(np.float16)
    put("safetensors", "sparse_f16.safetensors",
        safetensors({"topk_ids": ("I32", ids), "topk_scores": ("F16", ts), "request_id": ("I32", req)}, meta))
    # JSONL router records (the real Mixtral capture) and Megatron-Core records.
    mix = os.path.join(REAL, "router_trace_mixtral8x7b_fp8_gsm8k", "gsm8k_2_routing.jsonl")
    if os.path.exists(mix):
        put("jsonl_trace", "mixtral.jsonl", head(mix, lines=96))
    put("jsonl_trace", "custom_keys.jsonl", "".join(
        json.dumps({"request": int(r), "layer": l, "token": t, "experts": [int(e) for e in ids[t, l]],
                    "scores": [float(s) for s in ts[t, l]]}) + "\n"
        for t, r in zip(range(T), req) for l in range(L)))
    # vLLM route logs: the fixture with two layers, appended to itself (two runs) and without its
    # meta record; the real Qwen1.5-MoE log's meta record with a few decode passes, and OLMoE's head.
    two = os.path.join(DATA, "vllm", "two_layers.jsonl")
    put("vllm_routes", "two_layers.jsonl", head(two))
    put("vllm_routes", "two_runs.jsonl", head(two) + head(two))
    put("vllm_routes", "no_meta.jsonl", b"".join(head(two).splitlines(True)[1:]))
    qwen = os.path.join(REAL, "vllm_moe_routes", "qwen15moe_layer_logger", "moe_layer0.jsonl")
    if os.path.exists(qwen):
        with open(qwen, "rb") as f:
            lines = f.read().splitlines(True)
        # 1 meta + passes of 8192, 256, 65 and 1406 rows: line 9921 starts the first decode pass.
        put("vllm_routes", "qwen_decode.jsonl", lines[0] + b"".join(lines[9920:9920 + 110]))
    olmoe = os.path.join(REAL, "vllm_moe_routes", "olmoe_route_logger", "moe_routes.jsonl")
    if os.path.exists(olmoe):
        put("vllm_routes", "olmoe.jsonl", head(olmoe, lines=40))
    def megatron(step, layer, top, logit=None):
        o = {"step": step, "stage": "pre_dispatch", "block": "decoder", "layer": layer, "rank": 0,
             "num_tokens": len(top), "topk": len(top[0]), "top_indices": top}
        if logit is not None:
            o.update(logit_offset=logit, logit_bytes=len(top) * 4 * 2, logit_shape=[len(top), 4])
        return json.dumps(o) + "\n"
    put("megatron", "ids_only.jsonl", megatron(0, 1, [[0, 2], [1, 2]]) + megatron(0, 3, [[3, 1], [0, 1]])
        + megatron(1, 1, [[2, 3]]) + megatron(1, 3, [[0, 3]]))
    side = (rng.normal(size=8).astype(np.float32).view(np.uint32) >> 16).astype("<u2").tobytes()
    put("megatron", "with_logits.jsonl", (megatron(0, 0, [[0, 2], [1, 0]], 0) + megatron(0, 1, [[0, 1], [3, 0]], 16)).encode()
        + b"\n--8<--\n" + side + side)
    # .npy arrays.
    for name, arr in {"f32_3d.npy": g, "f16_2d.npy": g[:, 0, :].astype(np.float16)}.items():
        b = io.BytesIO()
        np.save(b, arr)
        put("npy", name, b.getvalue())
    # Expert counts (first byte: 0 csv, 1 json) and placements (odd: json, even: csv).
    olmoe = os.path.join(REAL, "expert_counts_olmoe_repo", "olmoe_c4.csv")
    if os.path.exists(olmoe):
        put("counts", "olmoe.csv", b"\x00" + head(olmoe, lines=200))
    put("counts", "logical_count.json", "\x01" + json.dumps({"logical_count": [[[3, 1, 0, 5], [2, 2, 2, 2]]]}))
    put("placement", "lists.json", "\x21" + json.dumps({"placement": [0, 1, [0, 1], 1, 0, [1]]}))
    put("placement", "copies.csv", "\x20expert_id,device\n0,0\n1,1\n1,0\n2,1\n3,0\n4,1\n5,0\n")
    # HELM run folders and simple-evals results (mode byte, then the file; HELM stats may be followed
    # by a scenario_state.json after a "--8<--" line).
    for name in ("tiny_base", "tiny_cand"):
        put("helm", name + "_stats.json", b"\x00" + head(os.path.join(DATA, "helm", name, "per_instance_stats.json"), limit=30000))
        put("helm", name + "_spec.json", b"\x01" + head(os.path.join(DATA, "helm", name, "run_spec.json")))
    nqa = os.path.join(REAL, "helm_runs", "narrative_qa_openai_gpt2")
    if os.path.isdir(nqa):
        stats = json.load(open(os.path.join(nqa, "per_instance_stats.json")))[:1]
        state = json.load(open(os.path.join(nqa, "scenario_state.json")))
        state["request_states"] = state["request_states"][:1]
        put("helm", "narrative_qa.json", b"\x00" + json.dumps(stats, indent=1).encode() + b"\n--8<--\n"
            + json.dumps(state, indent=1).encode()[:20000])
    put("helm", "simple_evals.json", b"\x02" + json.dumps({"score": 0.5, "metrics": {}, "htmls": [], "convos": [],
        "metadata": {"example_level_metadata": [
            {"score": 0.25, "prompt_id": "p1", "prompt": [{"role": "user", "content": "hi"}],
             "completion": [{"role": "assistant", "content": "hello"}],
             "rubric_items": [{"criterion": "greets", "points": 5, "criteria_met": True}]},
            {"score": "NaN_PLACEHOLDER", "prompt_id": "p2"}]}}, indent=1).encode().replace(b"\"NaN_PLACEHOLDER\"", b"NaN"))

    # Keep-lists and workspaces.
    put("keeplist", "keep.json", json.dumps({"format": "deltascope-keep-list", "version": 1, "samples": [
        {"task": "mmlu", "filter": "none", "doc_id": str(i)} for i in range(10)]}))
    put("workspace", "full.deltascope", json.dumps({
        "deltascope_workspace": 1, "front": "experts",
        "degradation": {"baseline": {"path": "/runs/base", "format": "table", "run": "", "id_column": "id",
                                     "score_column": "acc", "task_column": "", "filter_column": ""},
                        "candidate": {"path": "/runs/cand"}, "alpha": 0.01, "permutations": 5000, "seed": 3,
                        "run_permutation": True, "skip_bad_lines": False, "task_filter": "mm", "only_worse": True,
                        "selected_task": "mmlu", "plot": 1, "flip_filter": "", "direction": 0, "all_pairs": False,
                        "power_level": 0.8, "target_drop": 0.01},
        "experts": {"trace": "demo", "counts": "", "replay": True, "batch_size": 64, "gamma": 2, "policy": "ep",
                    "warmup": 1, "devices": 8, "balanced": True, "placement": "", "requests": "0-9",
                    "request_experts": 0, "budget": 16, "view": 3, "slice_layer": 1, "slice_batch": 5},
        "inputs": [{"role": "baseline", "path": "/runs/base", "size": 10, "modified_ns": 5}]}, indent=2))
    put("workspace", "minimal.deltascope", '{"deltascope_workspace": 1}')


if __name__ == "__main__":
    main()

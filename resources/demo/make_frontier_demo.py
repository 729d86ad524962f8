#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the expert-budget frontier demo: a baseline lm-eval run of an MoE model, one candidate
run per XShare expert budget M (the same model serving with at most M experts per layer and
batch), and a router trace of the same serving setup.

The model plays Mixtral-8x7B (32 MoE layers, 8 experts, top-2). The runs follow lm-eval's
--log_samples layout exactly (make_lmeval_runs.py writes the records); each candidate's
results_<timestamp>.json carries its budget in `config.budget`. The flips against the baseline
grow as the budget shrinks and are nested: the documents a budget breaks are also broken at every
smaller budget. Budget 8 (= every expert, the top-k routing itself) differs from the baseline by
one regression and one improvement, the run-to-run noise of a GPU server.

The trace is a dense native .safetensors file (F16 softmax probabilities [tokens, 32, 8],
request_id, step_id): 48 requests served with continuous batching of 16 requests (the step ids
are that replay), so `xshare`, `payoff` and `frontier` see the batches the runs were served with
without batching options. Deterministic for a seed on every platform.

Usage:
  make_frontier_demo.py OUT_DIR [--seed 11]      # resources/demo/frontier is made with the defaults
"""

import argparse
import json
import math
import os
import random
import struct
import sys

sys.dont_write_bytecode = True  # nothing written beside the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_lmeval_runs as lm  # noqa: E402  (the record writer of the other demo)

MODEL = "acme/Mixtral-8x7B-Instruct"
LAYERS, EXPERTS, TOP_K = 32, 8, 2
BATCH, REQUESTS = 16, 48

# task -> (docs, baseline accuracy, filter); both are generation tasks scored by exact_match.
TASKS = {
    "gsm8k": (260, 0.55, "strict-match"),
    "triviaqa": (260, 0.65, "remove_whitespace"),
}
# budget M -> {task: (regressions b, improvements c)} against the baseline
BUDGETS = {
    8: {"gsm8k": (1, 1), "triviaqa": (0, 1)},
    6: {"gsm8k": (2, 1), "triviaqa": (1, 1)},
    4: {"gsm8k": (3, 1), "triviaqa": (3, 1)},
    3: {"gsm8k": (9, 1), "triviaqa": (8, 2)},
    2: {"gsm8k": (21, 2), "triviaqa": (19, 3)},
}
TIMESTAMP = {"baseline": "2026-04-07T08-00-00.000000"}
for i, m in enumerate(sorted(BUDGETS, reverse=True)):
    TIMESTAMP[f"budget_{m}"] = f"2026-04-07T{9 + i:02d}-00-00.000000"


def side_model(side):
    return MODEL if side == "baseline" else MODEL + "-xshare-M" + side.split("_")[1]


def correctness(rng, n, acc):
    """Baseline correctness and, per budget, the candidate's: flips nested across budgets."""
    base = [rng.random() < acc for _ in range(n)]
    right = [i for i in range(n) if base[i]]
    wrong = [i for i in range(n) if not base[i]]
    rng.shuffle(right)
    rng.shuffle(wrong)
    return base, right, wrong


def record(doc_id, question, answer, flt, correct, rng):
    """One line of samples_<task>_<timestamp>.jsonl, as lm-eval writes it for a generation task
    (trimmed to the keys a reader needs, so that the shipped demo stays small)."""
    prompt = "Q: " + question + "\nA:"
    said = answer if correct else str(int(answer) + rng.randint(1, 9))
    return {"doc_id": doc_id, "doc": {"question": question, "answer": answer}, "target": answer,
            "arguments": {"gen_args_0": {"arg_0": prompt, "arg_1": {"until": ["Q:"]}}},
            "resps": [["The answer is " + said + "."]], "filtered_resps": [said], "filter": flt,
            "metrics": ["exact_match"], "doc_hash": lm.sha(json.dumps({"question": question, "answer": answer},
                                                                        sort_keys=True)),
            "prompt_hash": lm.sha(prompt), "exact_match": 1.0 if correct else 0.0}


def write_runs(out_dir, seed):
    rng = random.Random(seed)
    pool = lm.TextPool(rng, size=1 << 16)
    sides = ["baseline"] + [f"budget_{m}" for m in sorted(BUDGETS, reverse=True)]
    docs, correct = {}, {}
    for task, (n, acc, _) in TASKS.items():
        docs[task] = [(pool.take(28) + "?", str(rng.randrange(1, 1000))) for _ in range(n)]
        base, right, wrong = correctness(rng, n, acc)
        correct[(task, "baseline")] = base
        for m, flips in BUDGETS.items():
            b, c = flips[task]
            regress, improve = set(right[:b]), set(wrong[:c])
            correct[(task, f"budget_{m}")] = [(not base[i]) if (i in regress or i in improve) else base[i]
                                              for i in range(n)]
    tasks = {task: (n, acc, {flt: (0, 0)}, ["exact_match"], "generate_until") for task, (n, acc, flt) in
             TASKS.items()}
    for side in sides:
        lm.MODELS[side] = side_model(side)
        folder = os.path.join(out_dir, side, side_model(side).replace("/", "__"))
        os.makedirs(folder, exist_ok=True)
        accs = {(task, flt, "exact_match"): sum(correct[(task, side)]) / n for task, (n, _, flt) in TASKS.items()}
        results = lm.results_file(side, tasks, accs, "current")
        results["config"]["batch_size"] = BATCH
        if side != "baseline":
            budget = int(side.split("_")[1])
            results["config"]["budget"] = budget
            results["config"]["model_args"] += f",moe_policy=xshare,expert_budget={budget}"
        with open(os.path.join(folder, f"results_{TIMESTAMP[side]}.json"), "w") as f:
            json.dump(results, f, indent=2)
            f.write("\n")
        for task, (n, _, flt) in TASKS.items():
            out_rng = random.Random(f"{task}/{side}")
            with open(os.path.join(folder, f"samples_{task}_{TIMESTAMP[side]}.jsonl"), "w") as f:
                for i, (question, answer) in enumerate(docs[task]):
                    rec = record(i, question, answer, flt, correct[(task, side)][i], out_rng)
                    f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def replay_steps(lengths):
    """Continuous batching: (step, request, token) in serving order."""
    queue = list(range(len(lengths)))
    slots = [None] * BATCH
    pos = {}
    out = []
    step = 0
    while True:
        for i in range(BATCH):
            if slots[i] is None and queue:
                slots[i] = queue.pop(0)
                pos[slots[i]] = 0
        if all(s is None for s in slots):
            return out
        for i in range(BATCH):
            r = slots[i]
            if r is None:
                continue
            out.append((step, r, pos[r]))
            pos[r] += 1
            if pos[r] == lengths[r]:
                slots[i] = None
        step += 1


def write_trace(path, seed):
    rng = random.Random(seed * 1000 + 1)
    lengths = [rng.randint(8, 20) for _ in range(REQUESTS)]
    # Per layer a popularity over the experts; per request and layer a topic its tokens share.
    popularity = [[rng.gauss(0.0, 0.6) for _ in range(EXPERTS)] for _ in range(LAYERS)]
    topic = [[[rng.gauss(0.0, 1.2) for _ in range(EXPERTS)] for _ in range(LAYERS)] for _ in range(REQUESTS)]
    order = replay_steps(lengths)
    scores = bytearray()
    request_id = bytearray()
    step_id = bytearray()
    for step, r, _ in order:
        request_id += struct.pack("<i", r)
        step_id += struct.pack("<i", step)
        for layer in range(LAYERS):
            logits = [popularity[layer][e] + topic[r][layer][e] + rng.gauss(0.0, 1.0) for e in range(EXPERTS)]
            top = max(logits)
            w = [math.exp(x - top) for x in logits]
            total = sum(w)
            for x in w:
                scores += struct.pack("<e", x / total)
    tokens = len(order)
    tensors = [("scores", "F16", [tokens, LAYERS, EXPERTS], scores), ("request_id", "I32", [tokens], request_id),
               ("step_id", "I32", [tokens], step_id)]
    header = {"__metadata__": {"model": MODEL + " (synthetic)", "num_experts": str(EXPERTS), "top_k": str(TOP_K),
                               "score_kind": "probs", "norm_topk_prob": "true"}}
    offset = 0
    for name, dtype, shape, blob in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, _, blob in tensors:
            f.write(blob)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    write_runs(args.out_dir, args.seed)
    write_trace(os.path.join(args.out_dir, "trace.safetensors"), args.seed)


if __name__ == "__main__":
    main()

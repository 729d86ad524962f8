#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes a small random router trace (JSONL records) and, independently of Deltascope, the
per-step load statistics and step costs tst_payoff checks: replay batching with B = 4, the
baseline top-k loads per (layer, step), device balance of contiguous and greedy-balanced
placements over G = 2 devices, hot-expert runs, and the bytes and time of a step for a made-up
model on a made-up GPU. Run: python3 make_payoff_vectors.py (writes trace.jsonl, vectors.json)."""
import json
import math
import random

N, K, LAYERS, REQUESTS, B, G = 8, 2, 3, 10, 4, 2
rng = random.Random(17)

# Requests with 3..12 tokens; each request prefers a few experts so loads are skewed and sticky.
lengths = [rng.randint(3, 12) for _ in range(REQUESTS)]
records = []
routes = {}  # (request, token, layer) -> experts
for r, n in enumerate(lengths):
    for layer in range(LAYERS):
        favourite = rng.sample(range(N), 3)
        for t in range(n):
            weights = [4.0 if e in favourite else 1.0 for e in range(N)]
            chosen = []
            while len(chosen) < K:
                e = rng.choices(range(N), weights)[0]
                if e not in chosen:
                    chosen.append(e)
            p = rng.uniform(0.5, 0.9)
            records.append({"request_id": r, "layer": layer, "token_idx": t, "experts": chosen,
                            "scores": [round(p, 4), round(1 - p, 4)]})
            routes[(r, t, layer)] = chosen
rng.shuffle(records)  # the importer orders tokens itself
with open("trace.jsonl", "w") as f:
    for rec in records:
        f.write(json.dumps(rec) + "\n")

# Replay (continuous batching): B slots; a finished request is replaced at the next step.
queue = list(range(REQUESTS))
slots = [None] * B
pos = {}
steps = []
while True:
    for i in range(B):
        if slots[i] is None and queue:
            slots[i] = queue.pop(0)
            pos[slots[i]] = 0
    if all(s is None for s in slots):
        break
    batch = []
    for i in range(B):
        r = slots[i]
        if r is None:
            continue
        batch.append((r, pos[r]))
        pos[r] += 1
        if pos[r] == lengths[r]:
            slots[i] = None
    steps.append(batch)

contiguous = [e * G // N for e in range(N)]


def balanced(load):
    # Heaviest expert first (ties: lower id) to the least loaded device with room (ties: lower device).
    room = math.ceil(N / G)
    dev_load, count, place = [0.0] * G, [0] * G, [0] * N
    for e in sorted(range(N), key=lambda e: (-load[e], e)):
        d = min((d for d in range(G) if count[d] < room), key=lambda d: (dev_load[d], d))
        place[e] = d
        dev_load[d] += load[e]
        count[d] += 1
    return place


def balance(load, place):
    per = [0.0] * G
    for e in range(N):
        per[place[e]] += load[e]
    return (sum(per) / G) / max(per) if max(per) > 0 else 1.0


hot_n = max(1, math.ceil(N / 10))
acc = dict(slices=0, tokens=0, act=0, act_dev=0, asg=0, asg_dev=0, bc=0, bb=0, oc=0, ob=0)
hot_steps = stayed = hot_before = runs = 0
for layer in range(LAYERS):
    loads = []
    for batch in steps:
        c = [0] * N
        for (r, t) in batch:
            for e in routes[(r, t, layer)]:
                c[e] += 1
        loads.append(c)
    total = [sum(c[e] for c in loads) for e in range(N)]
    place_b = balanced(total)
    acc["oc"] += balance(total, contiguous)
    acc["ob"] += balance(total, place_b)
    prev = None
    run = [0] * N
    for batch, c in zip(steps, loads):
        acc["slices"] += 1
        acc["tokens"] += len(batch)
        acc["act"] += sum(1 for x in c if x > 0)
        acc["asg"] += sum(c)
        acc["act_dev"] += max(sum(1 for e in range(N) if c[e] > 0 and contiguous[e] == d) for d in range(G))
        acc["asg_dev"] += max(sum(c[e] for e in range(N) if contiguous[e] == d) for d in range(G))
        acc["bc"] += balance(c, contiguous)
        acc["bb"] += balance(c, place_b)
        order = sorted(range(N), key=lambda e: (-c[e], e))[:hot_n]
        hot = {e for e in order if c[e] > 0}
        if prev is not None:
            hot_before += len(prev)
            stayed += len(prev & hot)
        for e in range(N):
            if e in hot:
                run[e] += 1
                hot_steps += 1
            elif run[e] > 0:
                runs += 1
                run[e] = 0
        prev = hot
    runs += sum(1 for x in run if x > 0)

S = acc["slices"]
loads = {
    "steps": len(steps),
    "slices": S,
    "tokens_per_step": acc["tokens"] / S,
    "requests_per_step": sum(len({r for r, _ in b}) for b in steps) / len(steps),
    "activated_per_slice": acc["act"] / S,
    "assignments_per_slice": acc["asg"] / S,
    "activated_device": acc["act_dev"] / S,
    "assignments_device": acc["asg_dev"] / S,
    "contiguous_per_step": acc["bc"] / S,
    "balanced_per_step": acc["bb"] / S,
    "contiguous_overall": acc["oc"] / LAYERS,
    "balanced_overall": acc["ob"] / LAYERS,
    "hot_experts": hot_n,
    "mean_run": hot_steps / runs,
    "persistence": stayed / hot_before,
    "runs": runs,
}

# A made-up model on a made-up GPU, the step cost of the formulas in core/moe/Payoff.h written
# out: 6 layers (5 MoE), hidden 64, expert FFN 96, 1 shared expert of FFN 32, 10000 dense
# parameters, 16 KV values per token and layer, 1 byte per weight and 2 per KV value; 1 GB/s and
# 0.001 TFLOPS; context 100 tokens; G = 2 devices.
model = dict(layers=6, moe_layers=5, hidden=64, expert_ffn=96, shared=1, shared_ffn=32, dense=10000.0, kv=16.0,
             dtype=1.0, kv_bytes=2.0)
bw, tflops, context = 1.0, 0.001, 100
act_dev, asg_dev = loads["activated_device"], loads["assignments_device"]
tokens, requests = loads["tokens_per_step"], loads["requests_per_step"]
expert_bytes = 5 * act_dev * 3 * 64 * 96 * 1.0
shared_w = 5 * 1 * 3 * 64 * 32
other = (shared_w + 10000.0) * 1.0 + requests / G * context * 6 * 16.0 * 2.0
memory = (expert_bytes + other) / (bw * 1e9)
flops = 2 * 5 * asg_dev * 3 * 64 * 96 + 2 * (tokens / G) * (shared_w + 10000.0)
compute = flops / (tflops * 1e12)
cost = {"expert_bytes": expert_bytes, "other_bytes": other, "memory_seconds": memory,
        "compute_seconds": compute, "step_seconds": max(memory, compute)}

with open("vectors.json", "w") as f:
    json.dump({"experts": N, "top_k": K, "layers": LAYERS, "batch_size": B, "devices": G, "loads": loads,
               "model": model, "bandwidth_gb_s": bw, "tflops": tflops, "context": context, "cost": cost}, f,
              indent=2)
    f.write("\n")

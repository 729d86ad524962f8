#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The peer of bench_xshare: the batch-greedy XShare policy as a researcher would write it in numpy.

Reads a native Deltascope trace (safetensors, dense F32 scores), replays it with continuous batching
(batch size B, every request one token per step), and for every (layer, batch) slice computes the
top-k baseline, expert utilities, the warm-up set (each token's top-1), the priority order, the
selected set of the budget M, re-routing within it, and the activated experts and kept mass.
"""

import json
import sys
import time

import numpy as np


def load(path):
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    meta = header.pop("__metadata__", {})
    base = 8 + n
    s = header["scores"]
    scores = np.memmap(path, dtype=np.float32, mode="r", offset=base + s["data_offsets"][0], shape=tuple(s["shape"]))
    r = header["request_id"]
    req = np.fromfile(path, dtype=np.int32, count=r["shape"][0], offset=base + r["data_offsets"][0])
    return scores, req, int(meta["top_k"])


def replay(req, batch_size):
    order = {}
    for t, r in enumerate(req):
        order.setdefault(int(r), []).append(t)
    queue = [order[r] for r in sorted(order)]
    slots = [[q, 0] for q in queue[:batch_size]]
    nxt = len(slots)
    batches = []
    while slots:
        batch = [rows[i] for rows, i in slots]
        batches.append(np.array(batch))
        still = []
        for s in slots:
            s[1] += 1
            if s[1] < len(s[0]):
                still.append(s)
            elif nxt < len(queue):
                still.append([queue[nxt], 0])
                nxt += 1
        slots = still
    return batches


def main():
    path, batch_size, budget = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    scores, req, k = load(path)
    T, L, N = scores.shape
    M = int(budget) if budget != "2k" else 2 * k
    batches = replay(req, batch_size)
    t0 = time.perf_counter()
    act_base = act = 0
    mass_base = mass = 0.0
    for layer in range(L):
        for rows in batches:
            g = np.asarray(scores[rows, layer, :])
            topk = np.argpartition(-g, k - 1, axis=1)[:, :k]
            act_base += len(np.unique(topk))
            mass_base += np.take_along_axis(g, topk, axis=1).sum()
            u = g.sum(axis=0)
            warm = np.zeros(N, dtype=bool)
            warm[np.argmax(g, axis=1)] = True
            order = np.lexsort((np.arange(N), -u, ~warm))
            selected = order[:M]
            masked = np.full_like(g, -np.inf)
            masked[:, selected] = g[:, selected]
            rerouted = np.argpartition(-masked, k - 1, axis=1)[:, :k]
            act += len(np.unique(rerouted))
            mass += np.take_along_axis(g, rerouted, axis=1).sum()
    elapsed = time.perf_counter() - t0
    gb = scores.nbytes / 1e9
    print(f"numpy       budget {M}: {elapsed:.3f} s, {gb / elapsed:.3f} GB/s; activated {act_base} -> {act}, "
          f"mass retained {mass / mass_base:.6f}")
    print(f"RESULT seconds={elapsed:.6f}")


if __name__ == "__main__":
    main()

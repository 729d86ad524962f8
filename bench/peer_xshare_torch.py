#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The GPU peer of bench_xshare_gpu: the batch-greedy XShare policy as a researcher would write it
in PyTorch (topk, scatter, masked topk), run on the same trace with the same replay batching.

    peer_xshare_torch.py TRACE.safetensors BATCH_SIZE BUDGET

Batches are padded to the batch size and processed many at a time per layer; padding rows are
kept out of every count. Prints the time of the whole trace (best of 3, after a warm-up run), the
effective GB/s, the activated experts and kept mass (ties may be broken differently from
Deltascope, which breaks them towards the lower expert id), and the time of one 64 x 128 slice.
"""

import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_xshare import load, replay  # noqa: E402


def xshare_batches(scores, idx, valid, k, M, chunk_bytes=1 << 28):
    """scores [T, L, N] on the device; idx [nb, B] token ids (padding clamped), valid [nb, B]."""
    dev = scores.device
    T, L, N = scores.shape
    nb, B = idx.shape
    chunk = max(1, chunk_bytes // (B * N * 4))
    act_base = torch.zeros((), dtype=torch.int64, device=dev)
    act = torch.zeros((), dtype=torch.int64, device=dev)
    mass_base = torch.zeros((), dtype=torch.float64, device=dev)
    mass = torch.zeros((), dtype=torch.float64, device=dev)
    for layer in range(L):
        sl = scores[:, layer, :]
        for c0 in range(0, nb, chunk):
            ix = idx[c0:c0 + chunk]
            vm = valid[c0:c0 + chunk]
            c = ix.shape[0]
            g = sl[ix].masked_fill(~vm[..., None], 0.0)  # [c, B, N]
            top_v, top_i = torch.topk(g, k, dim=-1)
            pad_ids = top_i.masked_fill(~vm[..., None], N).reshape(c, -1)
            base = torch.zeros(c, N + 1, dtype=torch.bool, device=dev).scatter_(1, pad_ids, True)[:, :N]
            act_base += base.sum()
            mass_base += (top_v * vm[..., None]).sum(dtype=torch.float64)
            u = g.sum(dim=1)  # utilities [c, N]
            first = top_i[..., 0].masked_fill(~vm, N)
            warm = torch.zeros(c, N + 1, dtype=torch.bool, device=dev).scatter_(1, first, True)[:, :N]
            key = u + warm * (u.amax(dim=1, keepdim=True) + 1.0)  # warm-up experts first
            sel_i = torch.topk(key, M, dim=-1).indices
            sel = torch.zeros(c, N, dtype=torch.bool, device=dev).scatter_(1, sel_i, True)
            r_v, r_i = torch.topk(g.masked_fill(~sel[:, None, :], float("-inf")), k, dim=-1)
            r_ids = r_i.masked_fill(~vm[..., None], N).reshape(c, -1)
            used = torch.zeros(c, N + 1, dtype=torch.bool, device=dev).scatter_(1, r_ids, True)[:, :N]
            act += used.sum()
            mass += (r_v * vm[..., None]).sum(dtype=torch.float64)
    return act_base, act, mass_base, mass


def main():
    path, batch_size, M = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    scores_np, req, k = load(path)
    T, L, N = scores_np.shape
    batches = replay(req, batch_size)
    dev = torch.device("cuda")
    t0 = time.perf_counter()
    scores = torch.from_numpy(np.ascontiguousarray(scores_np)).to(dev)
    torch.cuda.synchronize()
    upload = time.perf_counter() - t0
    pad = np.full((len(batches), batch_size), -1, dtype=np.int64)
    for i, b in enumerate(batches):
        pad[i, :len(b)] = b
    idx = torch.from_numpy(pad).to(dev)
    valid = idx >= 0
    idx = idx.clamp(min=0)

    xshare_batches(scores, idx, valid, k, M)  # warm-up (kernel selection, allocator)
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        out = xshare_batches(scores, idx, valid, k, M)
        torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    act_base, act, mass_base, mass = (x.item() for x in out)
    gb = scores_np.nbytes / 1e9
    print(f"torch       budget {M}: {best:.4f} s, {gb / best:.1f} GB/s effective (upload {upload:.2f} s); "
          f"activated {act_base} -> {act}, mass retained {mass / mass_base:.6f}")

    # One slice of 64 tokens x 128 experts.
    g = torch.rand(1, 64, 128, device=dev)
    one_idx = torch.arange(64, device=dev)[None, :]
    one = g[0][:, None, :].contiguous()  # [64, 1, 128]
    ok = torch.ones_like(one_idx, dtype=torch.bool)
    for _ in range(20):
        xshare_batches(one, one_idx, ok, min(8, 128), 16)
    torch.cuda.synchronize()
    reps = 200
    t0 = time.perf_counter()
    for _ in range(reps):
        xshare_batches(one, one_idx, ok, 8, 16)
    torch.cuda.synchronize()
    per = (time.perf_counter() - t0) / reps
    print(f"torch       one slice 64 x 128: {per * 1e6:.1f} us")
    print(f"RESULT seconds={best:.6f} slice_us={per * 1e6:.3f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The peer of bench_load: what a researcher would write to compare two lm-eval runs in Python.

Reads every samples_*.jsonl line with json.loads, keys samples by (task, filter, doc_id), pairs
them, and runs scipy's exact binomial test per task. Prints the same kind of RESULT line.
"""

import glob
import json
import os
import sys
import time

from scipy.stats import binomtest


def load(root):
    out = {}
    for path in glob.glob(os.path.join(root, "**", "samples_*.jsonl"), recursive=True):
        task = os.path.basename(path)[len("samples_"):].rsplit("_", 1)[0]
        with open(path, encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                metric = rec["metrics"][0]
                out[(task, rec.get("filter", "none"), rec["doc_id"])] = float(rec[metric])
    return out


def main():
    base_dir, cand_dir = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    base = load(base_dir)
    cand = load(cand_dir)
    counts = {}
    for key, b in base.items():
        c = cand.get(key)
        if c is None:
            continue
        k = counts.setdefault(key[:2], [0, 0])
        if b > c:
            k[0] += 1
        elif c > b:
            k[1] += 1
    ps = {task: (binomtest(b, b + c, 0.5, alternative="greater").pvalue if b else 1.0) for task, (b, c) in counts.items()}
    elapsed = time.perf_counter() - t0
    size = sum(os.path.getsize(p) for d in (base_dir, cand_dir)
               for p in glob.glob(os.path.join(d, "**", "samples_*.jsonl"), recursive=True))
    print(f"python      {len(base) + len(cand)} records, {len(ps)} tasks, {elapsed:.3f} s, {size / 1e9 / elapsed:.3f} GB/s")
    print(f"RESULT seconds={elapsed:.6f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Expected cluster counts for the real MMLU comparison in ../shared/data/real
(mmlu_llama31_8b_fp16_vs_q4), clustered on metadata.subject, counted with a plain JSON read.

Writes mmlu_subjects_expected.txt: the distinct subjects of each file, and those of the pairs
(the first occurrence of each example_id found in both files, with the baseline's subject).
Usage: count_subjects.py SHARED_REAL_DIR > mmlu_subjects_expected.txt"""
import json
import sys


def records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


root = sys.argv[1] + "/mmlu_llama31_8b_fp16_vs_q4/"
base = records(root + "mmlu_fp16.jsonl")
cand = records(root + "mmlu_q4_K_M.jsonl")
first = {}
for r in base:
    first.setdefault(r["example_id"], r["metadata"]["subject"])
cand_ids = {r["example_id"] for r in cand}
paired = {s for i, s in first.items() if i in cand_ids}
print("base_records", len(base))
print("base_subjects", len({r["metadata"]["subject"] for r in base}))
print("cand_subjects", len({r["metadata"]["subject"] for r in cand}))
print("pairs", sum(1 for i in first if i in cand_ids))
print("pair_subjects", len(paired))

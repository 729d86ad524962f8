#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reference numbers for the HELM and simple-evals readers, computed independently of Deltascope.

Reads the real runs in ../shared/data/real with the json module, pairs them the way the formats
define (HELM: instance_id and train_trial_index; simple-evals: prompt_id), counts and tests with
scipy, and writes helm_vectors.json next to this script.

    python3 tests/data/helm/make_helm_vectors.py [SHARED_REAL_DIR]
"""
import itertools
import json
import os
import sys

from scipy.stats import binom

here = os.path.dirname(os.path.abspath(__file__))
real = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "..", "..", "shared", "data", "real")


def helm_scores(run_dir, metric):
    with open(os.path.join(run_dir, "per_instance_stats.json")) as f:
        entries = json.load(f)
    out = {}
    for e in entries:
        key = (e["instance_id"], e.get("train_trial_index", 0))
        for s in e["stats"]:
            if s["name"]["name"] == metric and "perturbation" not in s["name"]:
                out[key] = s["sum"] / s["count"] if "mean" not in s else s["mean"]
                break
    return out


def mcnemar(base, cand):
    keys = sorted(set(base) & set(cand))
    b = sum(1 for k in keys if base[k] == 1 and cand[k] == 0)
    c = sum(1 for k in keys if base[k] == 0 and cand[k] == 1)
    p = 1.0 if b == 0 else float(binom.sf(b - 1, b + c, 0.5))
    p2 = 1.0 if b + c == 0 else min(1.0, 2 * float(binom.cdf(min(b, c), b + c, 0.5)))
    return {
        "n": len(keys),
        "b": b,
        "c": c,
        "acc_base": sum(base[k] for k in keys) / len(keys),
        "acc_cand": sum(cand[k] for k in keys) / len(keys),
        "p_degradation": p,
        "p_two_sided": p2,
    }


def simple_evals_scores(path):
    with open(path) as f:
        data = json.load(f)
    return {e["prompt_id"]: e["score"] for e in data["metadata"]["example_level_metadata"]}


def sign_flip_exact(base, cand):
    """Every sign pattern of d = base - cand: p = #{T* >= T} / 2^n with T = sum d."""
    keys = sorted(set(base) & set(cand))
    d = [base[k] - cand[k] for k in keys]
    t = sum(d)
    hits = 0
    for signs in itertools.product((1, -1), repeat=len(d)):
        if sum(s * x for s, x in zip(signs, d)) >= t - 1e-12:
            hits += 1
    return {
        "n": len(keys),
        "mean_base": sum(base[k] for k in keys) / len(keys),
        "mean_cand": sum(cand[k] for k in keys) / len(keys),
        "mean_drop": t / len(keys),
        "worse": sum(1 for x in d if x > 0),
        "better": sum(1 for x in d if x < 0),
        "p_exact": hits / 2 ** len(d),
    }


helm = os.path.join(real, "helm_runs")
base = os.path.join(helm, "bbq_meta_llama-3-8b")
chat = os.path.join(helm, "bbq_meta_llama-3-8b-chat")
se = os.path.join(real, "simple_evals_healthbench")
se_base = simple_evals_scores(os.path.join(se, "healthbench_hard_gpt-4o-mini_20260113_121409_allresults.json"))
se_tta = simple_evals_scores(os.path.join(se, "healthbench_hard_gpt-4o-mini_20260113_121425_tta_allresults.json"))
nqa = helm_scores(os.path.join(helm, "narrative_qa_openai_gpt2"), "f1_score")

vectors = {
    "bbq_exact_match": mcnemar(helm_scores(base, "exact_match"), helm_scores(chat, "exact_match")),
    "bbq_exact_match_reversed": mcnemar(helm_scores(chat, "exact_match"), helm_scores(base, "exact_match")),
    "bbq_quasi_exact_match": mcnemar(helm_scores(base, "quasi_exact_match"), helm_scores(chat, "quasi_exact_match")),
    "healthbench": sign_flip_exact(se_base, se_tta),
    "healthbench_reversed": sign_flip_exact(se_tta, se_base),
    "narrative_qa_f1_mean": sum(nqa.values()) / len(nqa),
}
with open(os.path.join(here, "helm_vectors.json"), "w") as f:
    json.dump(vectors, f, indent=1, sort_keys=True)
    f.write("\n")
print(json.dumps(vectors, indent=1, sort_keys=True))

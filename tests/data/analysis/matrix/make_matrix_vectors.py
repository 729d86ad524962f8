#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures and reference values for Deltascope's many-candidates matrix, computed independently.

Writes base.csv and one CSV per candidate (columns task,doc_id,score; two right/wrong tasks), and
matrix_vectors.json with, per candidate, the exact decision p-value (the smallest of the pooled,
Fisher and max-drop tests, times 3), its Holm adjustment across the candidates, and, per pair of
candidates, the exact two-sided McNemar p-value on the pooled discordant pairs with its Holm
adjustment across the pairs, and the tiers of the rule documented in core/analysis/Matrix.h.

Candidates: twin_a and twin_b flip answers at the same rates (identical in distribution), mild
regresses a little more, bad regresses clearly. Run with Debian's python3-scipy and python3-numpy:
    python3 make_matrix_vectors.py
"""
import json
import math
import os

import numpy as np
from scipy.stats import binom, chi2

HERE = os.path.dirname(os.path.abspath(__file__))
TASKS = {"t1": 500, "t2": 400}
# (P[regress], P[improve]) per candidate
RATES = {"twin_a": (0.04, 0.04), "twin_b": (0.04, 0.04), "mild": (0.07, 0.035), "bad": (0.14, 0.01)}
ALPHA = 0.05

rng = np.random.default_rng(20261201)
base = {t: (rng.random(n) < 0.7).astype(int) for t, n in TASKS.items()}
cands = {}
for name, (pr, pi) in RATES.items():
    cands[name] = {}
    for t, n in TASKS.items():
        u = rng.random(n)
        b = base[t]
        # a right answer regresses with probability pr / 0.7, a wrong one improves with pi / 0.3
        regress = (b == 1) & (u < pr / 0.7)
        improve = (b == 0) & (u < pi / 0.3)
        cands[name][t] = np.where(regress, 0, np.where(improve, 1, b))


def write(path, scores):
    with open(path, "w") as f:
        f.write("task,doc_id,score\n")
        for t in TASKS:
            for i, s in enumerate(scores[t]):
                f.write(f"{t},{i},{int(s)}\n")


write(os.path.join(HERE, "base.csv"), base)
for name in RATES:
    write(os.path.join(HERE, f"{name}.csv"), cands[name])


def upper_tail(n, k):
    """P[Bin(n, 1/2) >= k]."""
    return float(binom.sf(k - 1, n, 0.5))


def z_ge(a1, n1, a2, n2):
    """a1 / sqrt(n1) >= a2 / sqrt(n2), decided in integers."""
    if a1 >= 0 and a2 <= 0:
        return True
    if a1 < 0 and a2 > 0:
        return False
    if a1 >= 0:  # both positive
        return a1 * a1 * n2 >= a2 * a2 * n1
    return a1 * a1 * n2 <= a2 * a2 * n1  # both negative


def decision(counts):
    """counts: [(b, c)] per task. The three exact tests of DESIGN 3.3."""
    B = sum(b for b, _ in counts)
    C = sum(c for _, c in counts)
    pooled = upper_tail(B + C, B) if B > 0 else 1.0
    tested = [(b, c) for b, c in counts if b + c > 0]
    x = -2.0 * sum(math.log(upper_tail(b + c, b)) for b, c in tested)
    fisher = float(chi2.sf(x, 2 * len(tested)))
    # max drop: M = max_t (b - c) / sqrt(b + c)
    best = max(tested, key=lambda bc: (bc[0] - bc[1]) / math.sqrt(bc[0] + bc[1]))
    A, N = best[0] - best[1], best[0] + best[1]
    log_none = 0.0
    for b, c in tested:
        n = b + c
        # smallest k with (2k - n) / sqrt(n) >= A / sqrt(N)
        k = next(k for k in range(0, n + 2) if k == n + 1 or z_ge(2 * k - n, n, A, N))
        log_none += math.log1p(-(upper_tail(n, k) if k <= n else 0.0))
    maxdrop = -math.expm1(log_none)  # 1 - prod(1 - s_t) without cancellation
    return pooled, fisher, maxdrop


def holm(p):
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    adj = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adj[i] = running
    return adj


names = list(RATES)
out = {"alpha": ALPHA, "candidates": [], "pairs": []}
dec = []
scores = []
for name in names:
    counts = []
    for t in TASKS:
        b = int(np.sum((base[t] == 1) & (cands[name][t] == 0)))
        c = int(np.sum((base[t] == 0) & (cands[name][t] == 1)))
        counts.append((b, c))
    p3 = decision(counts)
    dec.append(min(1.0, 3.0 * min(p3)))
    zs = [(b - c) / math.sqrt(b + c) if b + c else 0.0 for b, c in counts]
    scores.append(sum(zs) / math.sqrt(len(zs)))
    out["candidates"].append({"name": name, "counts": counts, "pooled": p3[0], "fisher": p3[1],
                              "max_drop": p3[2], "decision_p": dec[-1], "score": scores[-1]})
adj = holm(dec)
for c, a in zip(out["candidates"], adj):
    c["decision_p_holm"] = a
    c["degraded"] = a < ALPHA

pairs = []
for i in range(len(names)):
    for j in range(i + 1, len(names)):
        a_better = sum(int(np.sum((cands[names[i]][t] == 1) & (cands[names[j]][t] == 0))) for t in TASKS)
        b_better = sum(int(np.sum((cands[names[i]][t] == 0) & (cands[names[j]][t] == 1))) for t in TASKS)
        n = a_better + b_better
        p = min(1.0, 2.0 * float(binom.cdf(min(a_better, b_better), n, 0.5))) if n else 1.0
        pairs.append({"a": names[i], "b": names[j], "a_better": a_better, "b_better": b_better, "p": p})
padj = holm([p["p"] for p in pairs])
for p, a in zip(pairs, padj):
    p["p_holm"] = a
    p["separated"] = a < ALPHA
out["pairs"] = pairs

# Tiers: best first by net wins (ties: smaller score), one tier below the lowest earlier
# candidate a candidate is separated from.
wins = {n: 0 for n in names}
for p in pairs:
    s = (p["a_better"] > p["b_better"]) - (p["a_better"] < p["b_better"])
    wins[p["a"]] += s
    wins[p["b"]] -= s
order = sorted(range(len(names)), key=lambda i: (-wins[names[i]], scores[i]))
sep = {(p["a"], p["b"]): p["separated"] for p in pairs}
sep.update({(p["b"], p["a"]): p["separated"] for p in pairs})
tier = {}
for k, i in enumerate(order):
    tier[names[i]] = max([1] + [tier[names[j]] + 1 for j in order[:k] if sep[(names[i], names[j])]])
for c in out["candidates"]:
    c["tier"] = tier[c["name"]]
    c["wins"] = wins[c["name"]]

with open(os.path.join(HERE, "matrix_vectors.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(json.dumps(out, indent=1))

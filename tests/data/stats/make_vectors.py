#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reference values for Deltascope's statistics, computed with scipy (an independent implementation).

Run with Debian's python3-scipy:  /usr/bin/python3 tests/data/stats/make_vectors.py > tests/data/stats/vectors.json
Every number the C++ tests compare against comes from this script.
"""

import itertools
import json
import math

import numpy as np
from scipy import optimize, stats


def upper_half(n, k):
    # P[Bin(n, 1/2) >= k]; scipy's sf is the complemented CDF, accurate far into the tail.
    return float(stats.binom.sf(k - 1, n, 0.5)) if k > 0 else 1.0


def mcnemar_row(b, c, n):
    m = b + c
    p = 1.0 if b == 0 else float(stats.binomtest(b, m, 0.5, alternative="greater").pvalue)
    p2 = 1.0 if m == 0 else min(1.0, 2.0 * float(stats.binom.cdf(min(b, c), m, 0.5)))
    f = m / n
    # The interval of the drop (Tango's score interval) has its own vectors: make_decision_vectors.py.
    return {"b": b, "c": c, "n": n, "p": p, "p2": p2, "delta": (b - c) / n, "flip": f}


def holm(ps):
    m = len(ps)
    order = sorted(range(m), key=lambda i: ps[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * ps[i]))
        out[i] = running
    return out


def max_drop_enumerated(tasks):
    """P[max_t Z_t >= M] by enumerating every outcome: only for tiny tasks, independent of the formula."""
    ns = [b + c for b, c in tasks if b + c > 0]
    z = lambda b, n: (2 * b - n) / math.sqrt(n)
    M = max(z(b, b + c) for b, c in tasks if b + c > 0)
    total = 0.0
    for outcome in itertools.product(*[range(n + 1) for n in ns]):
        if max(z(b, n) for b, n in zip(outcome, ns)) >= M - 1e-12:
            total += math.prod(stats.binom.pmf(b, n, 0.5) for b, n in zip(outcome, ns))
    return M, total


def max_drop_formula(tasks):
    ns = [(b, b + c) for b, c in tasks if b + c > 0]
    M = max((2 * b - n) / math.sqrt(n) for b, n in ns)
    log_none = 0.0
    for _, n in ns:
        x = math.ceil((M * math.sqrt(n) + n) / 2 - 1e-9)
        s = float(stats.binom.sf(x - 1, n, 0.5)) if x <= n else 0.0
        log_none += math.log1p(-s)
    return M, -math.expm1(log_none)


def aggregate_row(tasks):
    B = sum(b for b, _ in tasks)
    C = sum(c for _, c in tasks)
    pooled = 1.0 if B == 0 else upper_half(B + C, B)
    ps = [1.0 if b == 0 else upper_half(b + c, b) for b, c in tasks if b + c > 0]
    X = float(-2 * sum(math.log(p) for p in ps))
    fisher = float(stats.combine_pvalues(ps, method="fisher").pvalue) if ps else 1.0
    M, pmax = max_drop_formula(tasks)
    return {"tasks": tasks, "pooled": pooled, "fisher_x": X, "fisher_df": 2 * len(ps), "fisher": fisher,
            "max_z": M, "max_p": pmax}


# ---- Philox4x32-10 and the sign-flip stream, written from the published algorithm ----
M0, M1, W0, W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF


def philox(ctr, key):
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for r in range(10):
        if r:
            k0, k1 = (k0 + W0) & MASK, (k1 + W1) & MASK
        p0, p1 = M0 * c0, M1 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0) & MASK, p1 & MASK, ((p0 >> 32) ^ c3 ^ k1) & MASK, p0 & MASK
    return c0, c1, c2, c3


def sign_flip_p(d, perms, seed):
    """p = (1 + #{T* >= T}) / (1 + P) with sign bits from Philox(counter=(perm, block), key=seed)."""
    d = np.asarray(d, dtype=np.float64)
    n = len(d)
    blocks = (n + 127) // 128
    T = d.sum()
    hits = 0
    key = (seed & MASK, seed >> 32)
    for p in range(perms):
        words = []
        for b in range(blocks):
            words.extend(philox((p, b, 0, 0), key))
        bits = np.array([(words[i >> 5] >> (i & 31)) & 1 for i in range(n)])
        # Compared exactly through the flipped sum: T* >= T  <=>  sum of flipped d <= 0.
        if d[bits == 1].sum() <= 0:
            hits += 1
    return (1 + hits) / (1 + perms)


def main():
    out = {}
    out["upper_tail"] = [{"n": n, "k": k, "p": upper_half(n, k)} for n, k in [
        (1, 1), (10, 0), (10, 5), (10, 10), (46, 27), (100, 60), (1000, 600), (1000, 1000), (999, 998),
        (2000, 1800), (5000, 2600), (100000, 50500), (1000, 1), (7, 8)]]
    out["mcnemar"] = [mcnemar_row(b, c, n) for b, c, n in [
        (27, 19, 499), (90, 60, 6000), (0, 0, 100), (0, 5, 100), (5, 0, 100), (1, 1, 2), (400, 310, 14042),
        (1000, 0, 1000), (3, 9, 50), (50000, 49000, 1000000)]]
    hp = [0.01, 0.04, 0.03, 0.005, 0.5, 1.0, 0.04]
    out["holm"] = {"p": hp, "adjusted": holm(hp)}
    out["aggregate"] = [aggregate_row(t) for t in [
        [(16, 9), (12, 7), (11, 7), (25, 15), (90, 60)],
        [(0, 0), (3, 1), (2, 2)],
        [(5, 0), (0, 5)],
        [(400, 300), (1, 0)],
        [(600, 400), (700, 500), (30, 10)],
    ]]
    tiny = [[(3, 1), (2, 2), (4, 0)], [(1, 0), (2, 3)], [(5, 2), (1, 1), (0, 3)]]
    out["max_drop_enumerated"] = []
    for t in tiny:
        M, p = max_drop_enumerated(t)
        out["max_drop_enumerated"].append({"tasks": t, "max_z": M, "max_p": p})
    out["chi2_upper"] = [{"x": x, "df": df, "p": float(stats.chi2.sf(x, df))} for x, df in [
        (3.781, 2), (25.2, 10), (100.0, 4), (1500.0, 6)]]
    out["normal_quantile"] = [{"p": p, "z": float(stats.norm.ppf(p))} for p in [0.95, 0.8, 0.975, 0.5, 0.999]]
    # Student's t quantiles, found by solving sf(t) = 1 - p with scipy's distribution function: its
    # own ppf is only good to about 1e-9 here (at 61 degrees of freedom, sf(ppf(0.975)) is
    # 0.0250000000488).
    def t_quantile(p, df):
        if p == 0.5:
            return 0.0
        x = optimize.brentq(lambda t: stats.t.sf(t, df) - (1.0 - p), 0.0, 1e3, xtol=1e-15, rtol=1e-15)
        return float(x)
    out["student_quantile"] = [{"p": p, "df": df, "t": t_quantile(p, df)} for p, df in [
        (0.975, 1), (0.975, 9), (0.95, 9), (0.975, 61), (0.99, 3.5), (0.975, 1e6), (0.5, 4)]]
    # The continuous interval of the drop: Student's t on the paired differences, and the one-sided
    # upper bound at 1 - alpha (scipy's one-sample t interval agrees to its ppf's accuracy).
    trng = np.random.default_rng(77)
    paired_t = []
    for n, shift, alpha in [(10, 0.3, 0.05), (2, 0.0, 0.05), (62, -0.1, 0.01), (500, 0.02, 0.05)]:
        d = np.round(trng.normal(shift, 1.0, n), 6)
        mean = float(np.mean(d))
        se = float(np.std(d, ddof=1)) / math.sqrt(n)
        low, high = mean - t_quantile(0.975, n - 1) * se, mean + t_quantile(0.975, n - 1) * se
        upper = mean + t_quantile(1 - alpha, n - 1) * se
        ci = stats.ttest_1samp(d, 0.0).confidence_interval(0.95)
        assert abs(ci.low - low) < 1e-7 * (1 + abs(low)) and abs(ci.high - high) < 1e-7 * (1 + abs(high))
        paired_t.append({"d": d.tolist(), "alpha": alpha, "low": low, "high": high, "upper": upper})
    out["paired_t_interval"] = paired_t

    power = []
    for n, f, drop, alpha, pw in [(6000, 0.025, 0.005, 0.05, 0.8), (1000, 0.1, 0.02, 0.05, 0.9), (500, 0.2, 0.05, 0.01, 0.8)]:
        z = stats.norm.ppf(1 - alpha) + stats.norm.ppf(pw)
        mdd = z * math.sqrt(f / n)
        need = math.ceil(z * z * f / drop ** 2)
        # Exact power: m ~ Bin(n, f); b | m ~ Bin(m, (f + drop) / (2 f)); reject when P[Bin(m,1/2) >= b] <= alpha.
        pb = (f + drop) / (2 * f)
        m = np.arange(0, n + 1)
        pm = stats.binom.pmf(m, n, f)
        crit = np.array([int(stats.binom.isf(alpha, mm, 0.5)) + 1 if mm > 0 else 1 for mm in m])
        # isf can land one off: adjust so that crit is the smallest b with sf(b-1) <= alpha.
        for i, mm in enumerate(m):
            while crit[i] > 1 and stats.binom.sf(crit[i] - 2, mm, 0.5) <= alpha:
                crit[i] -= 1
            while crit[i] <= mm and stats.binom.sf(crit[i] - 1, mm, 0.5) > alpha:
                crit[i] += 1
        exact = float(sum(pm[i] * stats.binom.sf(crit[i] - 1, mm, pb) for i, mm in enumerate(m) if crit[i] <= mm))
        power.append({"n": n, "f": f, "drop": drop, "alpha": alpha, "power": pw, "mdd": mdd, "needed": need,
                      "exact_power": exact})
    out["power"] = power

    # Sign-flip test: exact enumeration (scipy) for small samples, and the Philox stream replayed.
    rng = np.random.default_rng(2024)
    flips = []
    for n, shift in [(12, 0.3), (14, 0.0), (10, -0.2)]:
        d = np.round(rng.normal(shift, 1.0, n), 6)
        exact = stats.permutation_test((d,), lambda x, axis: np.sum(x, axis=axis), permutation_type="samples",
                                       n_resamples=np.inf, alternative="greater").pvalue
        flips.append({"d": d.tolist(), "exact_p": float(exact)})
    out["sign_flip_exact"] = flips
    stream = []
    for n, perms, seed, shift in [(300, 400, 7, 0.05), (129, 300, 123456789012345, 0.0), (64, 200, 0, 0.2)]:
        d = np.round(rng.normal(shift, 1.0, n), 4)
        stream.append({"d": d.tolist(), "permutations": perms, "seed": seed, "p": sign_flip_p(d, perms, seed)})
    out["sign_flip_stream"] = stream
    out["philox_kat"] = [
        {"ctr": [0, 0, 0, 0], "key": [0, 0], "out": list(philox((0, 0, 0, 0), (0, 0)))},
        {"ctr": [MASK] * 4, "key": [MASK] * 2, "out": list(philox((MASK,) * 4, (MASK,) * 2))},
        {"ctr": [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], "key": [0xa4093822, 0x299f31d0],
         "out": list(philox((0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), (0xa4093822, 0x299f31d0)))},
    ]
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

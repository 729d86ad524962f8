#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exact one-sided sign-flip p-values for scores that are means of a few outcomes (DESIGN 3.4).

A mean over 3 epochs is 0, 1/3, 2/3 or 1 as a double, and the differences 1 - 1/3 and 2/3 - 0 are
the same number of thirds but not the same double. The test must count a permuted sum that ties
the observed one. This script writes cases whose scores are such means (thirds, sevenths mixed with
halves, fifths of halves) with the exact p of the sign-flip test:

    p = P(sum_i s_i d_i >= sum_i d_i), s_i independent and +1 or -1 with probability 1/2,

computed from the differences as exact fractions (fractions.Fraction of the rational each score
is a mean of), by dynamic programming over the distribution of the permuted sum. For the smallest
case it also enumerates every sign pattern and checks that both agree; scipy's
permutation_test (every pattern, on the exact rationals scaled to integers) checks it once more.

    python3 tests/data/stats/make_fraction_tie_vectors.py > tests/data/stats/fraction_tie_vectors.json
"""

import itertools
import json
import random
import sys
from fractions import Fraction

import numpy as np
from scipy import stats


def exact_p(diffs):
    """P(sum s_i d_i >= sum d_i) for exact fractions d_i, by DP over integer units."""
    den = 1
    for d in diffs:
        den = den * d.denominator // __import__("math").gcd(den, d.denominator)
    units = [int(d * den) for d in diffs if d != 0]
    observed = sum(units)
    dist = {0: 1}
    for u in units:
        nxt = {}
        for s, w in dist.items():
            nxt[s + u] = nxt.get(s + u, 0) + w
            nxt[s - u] = nxt.get(s - u, 0) + w
        dist = nxt
    hits = sum(w for s, w in dist.items() if s >= observed)
    return Fraction(hits, 2 ** len(units))


def enumerated_p(diffs):
    nonzero = [d for d in diffs if d != 0]
    observed = sum(nonzero)
    hits = 0
    for signs in itertools.product((1, -1), repeat=len(nonzero)):
        hits += sum(s * d for s, d in zip(signs, nonzero)) >= observed
    return Fraction(hits, 2 ** len(nonzero))


def means(rng, n, epochs, outcomes, shift):
    """Pairs of per-sample means over `epochs` outcomes: the candidate redraws about a third of the
    outcomes at random and loses a `shift` share of the rest."""
    base, cand = [], []
    for _ in range(n):
        b = [rng.choice(outcomes) for _ in range(epochs)]
        c = [rng.choice(outcomes) if rng.random() < 0.35 else (outcomes[0] if rng.random() < shift else o) for o in b]
        base.append(sum(Fraction(o) for o in b) / epochs)
        cand.append(sum(Fraction(o) for o in c) / epochs)
    return base, cand


def near_alpha(rng, n, epochs, outcomes, lo=0.01, hi=0.2):
    """A draw whose exact p lies in [lo, hi], where counting ties or not changes the answer most."""
    for attempt in range(10000):
        shift = rng.uniform(0.0, 0.12)
        base, cand = means(rng, n, epochs, outcomes, shift)
        p = exact_p([b - c for b, c in zip(base, cand)])
        if lo <= p <= hi:
            return base, cand
    raise RuntimeError("no draw near alpha")


def case(name, base, cand):
    diffs = [b - c for b, c in zip(base, cand)]
    p = exact_p(diffs)
    return {
        "name": name,
        # Each score as a double, as a tool computing the mean in floating point writes it.
        "base": [float(sum_) for sum_ in base],
        "cand": [float(sum_) for sum_ in cand],
        "p_numerator": str(p.numerator),
        "p_denominator": str(p.denominator),
        "p": float(p),
        "nonzero": sum(1 for d in diffs if d != 0),
    }


def main():
    rng = random.Random(20261202)
    cases = []
    # The smallest: few enough differing pairs that every sign pattern is enumerated.
    base, cand = near_alpha(rng, 16, 3, [0, 1], 0.02, 0.3)
    small = case("thirds_small", base, cand)
    diffs = [b - c for b, c in zip(base, cand)]
    assert small["nonzero"] <= 20, small["nonzero"]
    assert enumerated_p(diffs) == exact_p(diffs)
    x = np.array([int(d * 3) for d in diffs if d != 0], dtype=np.int64)
    ref = stats.permutation_test((x,), np.sum, permutation_type="samples", alternative="greater",
                                 n_resamples=np.inf)
    assert abs(ref.pvalue - float(exact_p(diffs))) < 1e-12, (ref.pvalue, float(exact_p(diffs)))
    cases.append(small)
    cases.append(case("thirds_60", *near_alpha(rng, 60, 3, [0, 1])))
    cases.append(case("thirds_400", *near_alpha(rng, 400, 3, [0, 1])))
    # Seven epochs of 0, 1/2, 1 (partial credit): sevenths and fourteenths.
    cases.append(case("sevenths_halves_300", *near_alpha(rng, 300, 7, [0, Fraction(1, 2), 1])))
    # Three epochs of 0, 1/5 ... 1: fifteenths.
    cases.append(case("fifteenths_250", *near_alpha(rng, 250, 3, [Fraction(k, 5) for k in range(6)])))
    for c in cases:
        print(f"{c['name']}: n = {len(c['base'])}, {c['nonzero']} differ, exact p = {c['p']:.6g}", file=sys.stderr)
    json.dump({"cases": cases}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()

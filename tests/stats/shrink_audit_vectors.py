#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reference values for tests/stats/tst_shrink.cpp, written independently of core/stats/Shrink.cpp.

1. The audit hash of `shrink --audit` (documented in core/stats/Shrink.h): FNV-1a 64 over each of
   task, filter and doc_id (UTF-8 bytes), each followed by its length as 8 little-endian bytes,
   starting from the FNV offset basis xor splitmix64(seed); the result goes through splitmix64.
2. Binomial bounds for the number of samples an audit share picks: the largest k with
   P[Bin(n, p) < k] <= 1e-9 and the smallest k with P[Bin(n, p) > k] <= 1e-9, in exact rational
   arithmetic (p = threshold / 2^64, the exact probability that a uniform 64-bit hash is picked).

Run: python3 tests/stats/shrink_audit_vectors.py
"""
from fractions import Fraction
from math import comb

MASK = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def audit_hash(seed, task, flt, doc):
    h = 0xCBF29CE484222325 ^ splitmix64(seed)
    for field in (task, flt, doc):
        data = field.encode("utf-8") + len(field.encode("utf-8")).to_bytes(8, "little")
        for byte in data:
            h = ((h ^ byte) * 0x100000001B3) & MASK
    return splitmix64(h)


def binomial_bounds(n, p, tail):
    # Exact: with p = a / d, P[X = k] = comb(n, k) a^k (d - a)^(n - k) / d^n; compare integer numerators.
    a, d = p.numerator, p.denominator
    limit = tail * d**n  # a Fraction

    def numerator(k):
        return comb(n, k) * a**k * (d - a) ** (n - k)

    low, acc = 0, 0
    while acc + numerator(low) <= limit:  # P[X < low + 1] <= tail: low + 1 is still an allowed lower bound
        acc += numerator(low)
        low += 1
    high, acc = n, 0
    while acc + numerator(high) <= limit:
        acc += numerator(high)
        high -= 1
    return low, high


if __name__ == "__main__":
    for seed, task, flt, doc in [
        (0, "gsm8k", "none", "0"),
        (0, "gsm8k", "strict-match", "17"),
        (7, "arc_easy", "none", "1234"),
        (18446744073709551615, "mmlu_high_school_physics", "none", "42"),
        (0, "ab", "c", "d"),
        (0, "a", "bc", "d"),
    ]:
        print(f'{{ {seed}ULL, "{task}", "{flt}", "{doc}", 0x{audit_hash(seed, task, flt, doc):016x}ULL }},')
    # 2000 samples, share 0.1 (exact threshold as the C++ code computes it: floor(0.1 * 2^64)).
    n = 2000
    threshold = int(Fraction(0.1) * 2**64)
    p = Fraction(threshold, 2**64)
    print("n =", n, "bounds at 1e-9:", binomial_bounds(n, p, Fraction(1, 10**9)))
    # tests/report/tst_cli_shrink.cpp: 360 excluded samples at share 0.25.
    threshold25 = int(Fraction(0.25) * 2**64)
    print("n = 360, share 0.25, bounds at 1e-9:", binomial_bounds(360, Fraction(threshold25, 2**64), Fraction(1, 10**9)))
    # The count the reference picks for doc ids "0".."1999" of task "t", filter "none", seed 0 and 1.
    for seed in (0, 1):
        print("seed", seed, "picks", sum(audit_hash(seed, "t", "none", str(i)) < threshold for i in range(n)))

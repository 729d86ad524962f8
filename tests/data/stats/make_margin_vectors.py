#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reference values for Deltascope's non-inferiority statistics (DESIGN 3.6), computed independently.

Run with Debian's python3-scipy and python3-mpmath:

    /usr/bin/python3 tests/data/stats/make_margin_vectors.py > tests/data/stats/margin_vectors.json

Only JSON goes to stdout; skipped points and cross-checks go to stderr.

Definitions (paired binary outcomes): b = baseline right & candidate wrong, c = baseline wrong &
candidate right, n pairs, a = n - b - c. Cell probabilities p10 (b), p01 (c), 1 - p10 - p01 (a).
Non-inferiority at margin D: H0 p10 - p01 >= D against H1 p10 - p01 < D.

tango_grid: the restricted maximum-likelihood estimate under p10 - p01 = D is found NUMERICALLY, not
from the closed-form quadratic: the multinomial log-likelihood
    L(q) = b ln(q + D) + c ln q + a ln(1 - 2q - D)      (q = p01, zero-count terms dropped)
is concave on [max(0, -D), (1 - D)/2]; scipy's bounded Brent search gives a start, mpmath.findroot
(bracketed) solves the score equation L'(q) = 0 at 50 digits, and a boundary is taken when L' does
not change sign inside. Then z = (b - c - n D) / sqrt(n (2q + D - D^2)) and p_ni = Phi(z).
The closed-form quadratic of DESIGN 3.6 is evaluated only as a cross-check (stderr).

upper_bound: the one-sided (1 - alpha) upper bound of the drop, U > (b - c)/n with
z(U) = -z_{1-alpha}, located by scanning the numerical z on a grid of 799 margins above the drop
(also checking that z decreases there, so the bound is unique) and refined by bisection at 50
digits; U = 1 when no D < 1 reaches it (b = n).

cluster_exact: clustered sign-flip test by full enumeration over 2^K sign patterns, with the decimal
differences as exact fractions.

Every input D and alpha written to the JSON is a double, and the values are computed from exactly
that double. Floats in the JSON are the correctly rounded doubles of 50-digit values (p_ni is 0.0
where Phi(z) underflows a double).
"""

import itertools
import json
import math
import sys
from fractions import Fraction

import mpmath as mp
from scipy import optimize

mp.mp.dps = 50


def log(msg):
    print(msg, file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# Restricted maximum likelihood (numerical)


def score_mp(b, c, n, D):
    """L'(q) in mpmath, zero-count terms dropped."""
    a = n - b - c

    def g(q):
        s = mp.mpf(0)
        if b:
            s += b / (q + D)
        if c:
            s += c / q
        if a:
            s -= 2 * a / (1 - 2 * q - D)
        return s

    return g


def loglik_float(b, c, n, D):
    a = n - b - c

    def L(q):
        s = 0.0
        for cnt, p in ((b, q + D), (c, q), (a, 1.0 - 2.0 * q - D)):
            if cnt:
                if p <= 0.0:
                    return -math.inf
                s += cnt * math.log(p)
        return s

    return L


def bisect_mp(f, x_pos, x_neg, iters=200):
    """Root of f between x_pos (f > 0) and x_neg (f < 0) by bisection in mpmath."""
    for _ in range(iters):
        m = (x_pos + x_neg) / 2
        if m == x_pos or m == x_neg:
            break
        fm = f(m)
        if fm == 0:
            return m
        if fm > 0:
            x_pos = m
        else:
            x_neg = m
    return (x_pos + x_neg) / 2


def restricted_q(b, c, n, D):
    """Maximum-likelihood p01 under p10 - p01 = D (D an mpf in (-1, 1)); returns (q, where)."""
    a = n - b - c
    lo = max(mp.mpf(0), -D)
    hi = (1 - D) / 2
    g = score_mp(b, c, n, D)
    # Does L' go to +inf at lo (a positive count whose cell probability vanishes there)?
    pole_lo = (D > 0 and c > 0) or (D < 0 and b > 0) or (D == 0 and (b > 0 or c > 0))
    if not pole_lo and g(lo) <= 0:
        return lo, "lower boundary"
    pole_hi = a > 0
    if not pole_hi and g(hi) >= 0:
        return hi, "upper boundary"
    # Interior: concave L, so a single sign change of L'.
    Lf = loglik_float(b, c, n, float(D))
    lo_f, hi_f = float(lo), float(hi)
    res = optimize.minimize_scalar(lambda q: -Lf(q), bounds=(lo_f, hi_f), method="bounded",
                                   options={"xatol": 1e-14, "maxiter": 2000})
    x0 = mp.mpf(res.x)
    # Bracket around the start, stepping outwards geometrically.
    width = hi - lo
    step = width * mp.mpf("1e-9")
    left, right = x0, x0
    while True:
        left = max(lo, x0 - step)
        right = min(hi, x0 + step)
        gl = g(left) if left > lo else (mp.inf if pole_lo else g(lo))
        gr = g(right) if right < hi else (-mp.inf if pole_hi else g(hi))
        if gl > 0 and gr < 0:
            break
        step *= 4
    # Keep the bracket strictly inside the open interval where a pole sits.
    if left == lo and pole_lo:
        left = lo + (x0 - lo) * mp.mpf("1e-30") if x0 > lo else lo + width * mp.mpf("1e-40")
        while g(left) <= 0:
            left = lo + (left - lo) / 1e10
    if right == hi and pole_hi:
        right = hi - (hi - x0) * mp.mpf("1e-30") if x0 < hi else hi - width * mp.mpf("1e-40")
        while g(right) >= 0:
            right = hi - (hi - right) / 1e10
    try:
        q = mp.findroot(g, (left, right), solver="anderson")
        if not (left <= q <= right) or abs(g(q)) > mp.mpf("1e-30") * (1 + n / max(q, mp.mpf("1e-300"))):
            raise ValueError("findroot left the bracket")
    except (ValueError, ZeroDivisionError):
        q = bisect_mp(g, left, right)
    if abs(q - x0) > mp.mpf("1e-6") * max(1, abs(q)) + mp.mpf("1e-9"):
        log(f"  note: scipy start {float(x0)!r} vs refined {float(q)!r} for b={b} c={c} n={n} D={float(D)!r}")
    return q, "interior"


def z_stat(b, c, n, D):
    """(z, variance per pair, q) at margin D (mpf); variance 0 means undefined."""
    q, _ = restricted_q(b, c, n, D)
    v = 2 * q + D - D * D
    if v <= 0:
        return None, v, q
    return (b - c - n * D) / mp.sqrt(n * v), v, q


def closed_form_q(b, c, n, D):
    """DESIGN 3.6's closed form, for cross-checking only: the positive root(s) of
    2n q^2 + (-b - c + (2n - b + c) D) q - c D (1 - D) = 0."""
    A = 2 * n
    B = -b - c + (2 * n - b + c) * D
    C = -c * D * (1 - D)
    disc = B * B - 4 * A * C
    if disc < 0:
        return []
    r = mp.sqrt(disc)
    return sorted({(-B + r) / (2 * A), (-B - r) / (2 * A)})


# ---------------------------------------------------------------------------------------------
# Section 1: grid


GRID_BC = {
    1: [(0, 0), (1, 0), (0, 1)],
    2: [(0, 0), (1, 0), (0, 1), (1, 1), (2, 0), (0, 2)],
    10: [(0, 0), (3, 0), (0, 3), (2, 2), (6, 1), (1, 6), (10, 0)],
    50: [(0, 0), (3, 0), (0, 4), (5, 5), (12, 2), (2, 12)],
    300: [(0, 0), (7, 0), (0, 5), (20, 20), (40, 10), (9, 35)],
    2000: [(0, 0), (15, 0), (0, 12), (80, 80), (150, 60), (45, 130)],
    14042: [(0, 0), (31, 0), (0, 27), (412, 412), (700, 310), (260, 655)],
}
GRID_D = [-0.05, 0.0, 0.001, 0.01, 0.02, 0.05, 0.2, 0.5]

closed_form_mismatch = []


def tango_grid():
    out = []
    skipped = 0
    for n, cases in GRID_BC.items():
        for b, c in cases:
            assert b + c <= n
            drop = (b - c) / n
            Ds = list(GRID_D) + [drop, drop - 1e-6, drop + 1e-6]
            seen = set()
            for Dd in Ds:
                if Dd in seen:
                    continue
                seen.add(Dd)
                if not (-1.0 < Dd < 1.0):
                    log(f"skip: D={Dd!r} outside (-1, 1) for b={b} c={c} n={n}")
                    skipped += 1
                    continue
                D = mp.mpf(Dd)
                z, v, q = z_stat(b, c, n, D)
                if z is None:
                    log(f"skip: variance 0 at b={b} c={c} n={n} D={Dd!r}")
                    skipped += 1
                    continue
                # Cross-check against the closed form (the design's "positive root").
                roots = [r for r in closed_form_q(b, c, n, D) if r > 0]
                if roots:
                    pos = max(roots)
                    if abs(pos - q) > mp.mpf("1e-30"):
                        closed_form_mismatch.append((b, c, n, Dd, float(q), [float(r) for r in roots]))
                elif q != 0:
                    closed_form_mismatch.append((b, c, n, Dd, float(q), []))
                p = mp.ncdf(z)
                out.append({"b": b, "c": c, "n": n, "D": Dd, "z": float(z), "p_ni": float(p)})
    log(f"tango_grid: {len(out)} points, {skipped} skipped")
    return out


# ---------------------------------------------------------------------------------------------
# Section 2: upper bound


UB_CASES = [
    (0, 0, 50), (0, 0, 500), (10, 0, 10), (1, 0, 1), (3, 0, 50), (0, 3, 50), (5, 5, 50),
    (12, 2, 50), (2, 12, 50), (1, 0, 2), (0, 2, 2), (1, 1, 2), (6, 1, 10), (0, 0, 1),
    (7, 0, 300), (20, 20, 300), (40, 10, 300), (15, 0, 2000), (150, 60, 2000), (45, 130, 2000),
    (0, 0, 14042), (700, 310, 14042), (49, 0, 50), (48, 1, 50),
]
ALPHAS = [0.05, 0.1]


def upper_bound():
    out = []
    scan, scan_z = {}, {}
    N = 800
    for b, c, n in UB_CASES:
        drop = mp.mpf(b - c) / n
        pts = []
        if b < n:
            for i in range(1, N):
                t = mp.mpf(i) / N
                pts.append(drop + (1 - drop) * (1 - (1 - t) ** 3))
        scan[(b, c, n)] = pts
        scan_z[(b, c, n)] = [z_stat(b, c, n, D)[0] for D in pts]
        # Monotone decrease of z above the observed drop (what makes the bound unique).
        zs = scan_z[(b, c, n)]
        if any(z2 > z1 for z1, z2 in zip(zs, zs[1:])):
            log(f"upper_bound: z(D) not decreasing on (drop, 1) for b={b} c={c} n={n}")
    for b, c, n in UB_CASES:
        drop = mp.mpf(b - c) / n
        for alpha in ALPHAS:
            zc = mp.sqrt(2) * mp.erfinv(1 - 2 * mp.mpf(alpha))  # z_{1-alpha}
            if b == n:
                out.append({"b": b, "c": c, "n": n, "alpha": alpha, "U": 1.0})
                continue
            # Scan z on a grid (denser near 1) for the first crossing of -z_{1-alpha} above the drop.
            found = None
            prev = drop
            back_above = False
            for i, D in enumerate(scan[(b, c, n)]):
                zD = scan_z[(b, c, n)][i]
                if zD <= -zc and found is None:
                    found = (prev, D)
                elif found is not None and zD > -zc:
                    back_above = True
                prev = D
            if back_above:
                log(f"upper_bound: z(D) comes back above -z_(1-alpha) after the first crossing for "
                    f"b={b} c={c} n={n} alpha={alpha}")
            if found is None:
                log(f"upper_bound: no crossing below 1 for b={b} c={c} n={n} alpha={alpha}; U = 1")
                out.append({"b": b, "c": c, "n": n, "alpha": alpha, "U": 1.0})
                continue
            def f(D, b=b, c=c, n=n, zc=zc):
                """z(D) + z_{1-alpha}: > 0 left of the bound. At the observed drop z is 0 (also as a
                limit where the variance vanishes, b = c = 0 at D = 0)."""
                if D == drop:
                    return zc
                return z_stat(b, c, n, D)[0] + zc

            L, R = mp.mpf(found[0]), mp.mpf(found[1])
            # Make sure the bracket holds the sign change.
            while f(L) <= 0:
                L = drop + (L - drop) / 2
            while R < 1 and f(R) >= 0:
                R = R + (1 - R) / 2
            U = bisect_mp(f, L, R, iters=180)
            zU = z_stat(b, c, n, U)[0]
            assert abs(zU + zc) < mp.mpf("1e-25"), (b, c, n, alpha, zU)
            # The bound must sit above the observed drop and be the first crossing.
            assert U > drop
            out.append({"b": b, "c": c, "n": n, "alpha": alpha, "U": float(U)})
    # Cross-check: DESIGN 3.2 says no flips in 500 samples bound the drop within +-0.76 points
    # (two-sided 95%, i.e. one-sided 97.5%).
    zc = mp.sqrt(2) * mp.erfinv(1 - 2 * mp.mpf("0.025"))
    U500 = bisect_mp(lambda D: z_stat(0, 0, 500, D)[0] + zc, mp.mpf("1e-30"), mp.mpf("0.5"), iters=180)
    log(f"check: b=c=0, n=500, one-sided 97.5% upper bound = {float(U500) * 100:.4f} points (DESIGN: 0.76)")
    log(f"upper_bound: {len(out)} entries")
    return out


# ---------------------------------------------------------------------------------------------
# Section 3: clustered sign-flip test


CLUSTER_CASES = [
    # K = 3, uneven sizes, mixed signs
    (["0.5", "-0.2", "0.3", "1", "-0.25", "0.125"], [1, 1, 1, 2, 3, 3]),
    # K = 5, a cluster summing to exactly 0 and clusters of opposite equal sums (ties with T count)
    (["0.1", "-0.1", "0.7", "-0.4", "0.3", "0.2", "-0.05", "-0.25", "-1.5", "2.25"],
     [4, 4, 7, 7, 9, 9, 11, 11, 13, 13]),
    # K = 8, cluster ids interleaved (not contiguous), sizes 1..4
    (["0.9", "0.4", "-0.3", "0.25", "0.1", "-0.05", "0.6", "0.333", "-0.125", "0.2",
      "0.4", "-0.7", "0.05", "0.3", "0.15", "-0.2", "1.2", "0.01"],
     [0, 1, 2, 0, 3, 1, 4, 5, 2, 6, 7, 3, 5, 0, 6, 6, 7, 7]),
    # K = 12, mostly small positive differences with a few large negative ones
    ([f"{x}" for x in ["0.2", "0.1", "0.3", "-0.6", "0.15", "0.05", "0.1", "0.2", "0.25", "-0.05",
                       "0.4", "0.1", "0.35", "0", "0.2", "-0.9", "0.45", "0.1", "0.05", "0.3",
                       "0.125", "0.2", "-0.35", "0.6"]],
     [1, 1, 1, 2, 3, 3, 4, 5, 5, 5, 5, 6, 7, 7, 8, 9, 9, 10, 10, 11, 12, 12, 12, 12]),
    # K = 16, sizes 1..5, three-decimal values
    ([f"{((i * 37) % 23 - 9) / 8:.3f}" for i in range(46)],
     [k for k in range(16) for _ in range(1 + (k * 7) % 5)]),
]


def cluster_exact():
    out = []
    for d, cl in CLUSTER_CASES:
        assert len(d) == len(cl), (len(d), len(cl))
        sums = {}
        for di, k in zip(d, cl):
            sums[k] = sums.get(k, Fraction(0)) + Fraction(di)
        S = list(sums.values())
        K = len(S)
        assert 3 <= K <= 16, K
        T = sum(S)
        # All inputs have at most three decimals: enumerate on exact integers in thousandths.
        Si = [int(x * 1000) for x in S]
        assert all(Fraction(v, 1000) == x for v, x in zip(Si, S))
        Ti = sum(Si)
        hits = 0
        for signs in itertools.product((1, -1), repeat=K):
            if sum(s * x for s, x in zip(signs, Si)) >= Ti:
                hits += 1
        p = Fraction(hits, 2 ** K)
        ss = sum(x * x for x in S)
        sd = sum(Fraction(x) ** 2 for x in d)
        assert sd > 0
        deff = ss / sd
        sizes = sorted(cl.count(k) for k in sums)
        log(f"cluster_exact: K={K} sizes={sizes} T={float(T)!r} hits={hits}/{2 ** K} deff={float(deff)!r}")
        out.append({"d": d, "cluster": cl, "p": float(p), "design_effect": float(deff)})
    return out


def main():
    result = {
        "tango_grid": tango_grid(),
        "upper_bound": upper_bound(),
        "cluster_exact": cluster_exact(),
    }
    if closed_form_mismatch:
        log(f"closed-form cross-check: {len(closed_form_mismatch)} points where the largest positive root of "
            f"the DESIGN 3.6 quadratic differs from the numerical maximum:")
        for row in closed_form_mismatch:
            log(f"  b={row[0]} c={row[1]} n={row[2]} D={row[3]!r}: numerical q={row[4]!r}, positive roots={row[5]}")
    else:
        log("closed-form cross-check: the DESIGN 3.6 positive root matches everywhere")
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reference values for Deltascope's decision statistics (DESIGN 3.2-3.6), computed independently.

Run with Debian's python3-scipy and python3-mpmath (apt-get install python3-scipy python3-mpmath):

    /usr/bin/python3 tests/data/stats/make_decision_vectors.py > tests/data/stats/decision_vectors.json

Only the JSON goes to stdout; cross-checks and the Tango monotonicity report go to stderr. It takes
well under two minutes. Everything is derived from the definitions, not from the C++ code:
binomial tails are sums of exact big integers, probabilities are fractions.Fraction where the brief
asks for exactness, logarithms and the chi-square / normal functions are mpmath at 60 digits,
permutation statistics use the decimal differences as exact scaled integers. Floats in the JSON are
the correctly rounded doubles of those exact or high-precision values (0.0 where a value underflows).
"""

import bisect
import itertools
import json
import math
import sys
from fractions import Fraction
from pathlib import Path

import mpmath as mp
import numpy as np
from scipy import stats

mp.mp.dps = 60
LN2 = mp.log(2)


def log(msg):
    print(msg, file=sys.stderr)


def mpq(fr):
    """mpf of a Fraction (or int)."""
    fr = Fraction(fr)
    return mp.mpf(fr.numerator) / mp.mpf(fr.denominator)


def ln_frac(fr):
    """ln of a positive Fraction at 60 digits, via its numerator and denominator (no underflow)."""
    fr = Fraction(fr)
    assert fr > 0
    return mp.log(mp.mpf(fr.numerator)) - mp.log(mp.mpf(fr.denominator))


def f64(x):
    return float(x)


# ---------------------------------------------------------------- exact binomial tails
def tail_count(n, k):
    """sum_{j >= k} C(n, j) as a big integer (so that P[Bin(n,1/2) >= k] = tail_count / 2^n)."""
    if k <= 0:
        return 1 << n
    if k > n:
        return 0
    c = math.comb(n, k)
    total = 0
    j = k
    while True:
        total += c
        if j == n:
            break
        c = c * (n - j) // (j + 1)
        j += 1
    return total


def upper_half(n, k):
    """P[Bin(n, 1/2) >= k] as an exact Fraction."""
    return Fraction(tail_count(n, k), 1 << n)


def ln_upper_half(n, k):
    t = tail_count(n, k)
    assert t > 0
    if t == 1 << n:
        return mp.mpf(0)
    return mp.log(mp.mpf(t)) - n * LN2


# ---------------------------------------------------------------- 1. log upper tail
def log_upper_tail():
    rows = []
    for n, k in [(1075, 1037), (1200, 1190), (3000, 2990), (5000, 4000), (100000, 60000), (1000, 600),
                 (50, 49), (10, 5), (2, 1), (1, 1), (20000, 10000), (37, 0)]:
        lnp = ln_upper_half(n, k)
        p = float(upper_half(n, k))  # int / int true division: correctly rounded, 0.0 on underflow
        # cross-check: the regularized incomplete beta I_{1/2}(k, n - k + 1) in mpmath
        if 0 < k <= n and n <= 5000:
            ib = mp.log(mp.betainc(k, n - k + 1, 0, mp.mpf(1) / 2, regularized=True))
            if abs(ib - lnp) > mp.mpf(10) ** -30 * max(1, abs(lnp)):
                log(f"log_upper_tail: incomplete beta differs at ({n},{k}): {ib} vs {lnp}")
                sys.exit(1)
        rows.append({"n": n, "k": k, "ln_p": f64(lnp), "p": p})
    return rows


# ---------------------------------------------------------------- 2. Fisher on log p
def chi2_even_upper_ln(x, df):
    """ln P[chi2(df) >= x] for even df: the Poisson sum e^{-x/2} sum_{i < df/2} (x/2)^i / i!."""
    h = x / 2
    term = mp.mpf(1)
    s = mp.mpf(1)
    for i in range(1, df // 2):
        term = term * h / i
        s += term
    return -h + mp.log(s)


def task_ln_p(b, c):
    return mp.mpf(0) if b == 0 else ln_upper_half(b + c, b)


def fisher_log():
    rows = []
    for tasks in [[[1037, 38], [2000, 100], [5, 3]], [[3000, 10], [3000, 10]], [[16, 9], [12, 7]],
                  [[0, 0], [3, 1], [2, 2]], [[5, 0], [0, 5]], [[16, 9], [12, 7], [11, 7], [25, 15], [90, 60]],
                  [[400, 300], [1, 0]], [[1200, 1190], [0, 3]]]:
        used = [(b, c) for b, c in tasks if b + c > 0]
        x = -2 * sum(task_ln_p(b, c) for b, c in used)
        df = 2 * len(used)
        lnp = chi2_even_upper_ln(x, df)
        check = mp.log(mp.gammainc(df / 2, x / 2, mp.inf, regularized=True))
        if abs(check - lnp) > mp.mpf(10) ** -40 * max(1, abs(lnp)):
            log(f"fisher_log: gammainc disagrees for {tasks}: {check} vs {lnp}")
        rows.append({"tasks": tasks, "x": f64(x), "df": df, "ln_p": f64(lnp), "p": f64(mp.exp(lnp))})
    return rows


# ---------------------------------------------------------------- 3. max drop
def z_ge(u, n, a, m):
    """u / sqrt(n) >= a / sqrt(m), decided with integers (n, m > 0)."""
    if u >= 0 and a < 0:
        return True
    if u < 0 and a >= 0:
        return False
    if u >= 0:  # both non-negative
        return u * u * m >= a * a * n
    return u * u * m <= a * a * n  # both negative


def max_drop_exact(tasks):
    used = [(b, b + c) for b, c in tasks if b + c > 0]
    # argmax of (2b - n)/sqrt(n), decided exactly
    best = used[0]
    for b, n in used[1:]:
        if not z_ge(2 * best[0] - best[1], best[1], 2 * b - n, n):
            best = (b, n)
    a, m = 2 * best[0] - best[1], best[1]
    none = Fraction(1)
    for _, n in used:
        x = next((x for x in range(n + 1) if z_ge(2 * x - n, n, a, m)), n + 1)
        none *= 1 - upper_half(n, x)
    p = 1 - none
    M = mp.mpf(a) / mp.sqrt(m)
    return M, p, (a, m)


def max_drop_enumerated(tasks):
    """P[max Z >= M] by enumerating every outcome (tiny tasks only), exact comparison."""
    used = [b + c for b, c in tasks if b + c > 0]
    _, _, (a, m) = max_drop_exact(tasks)
    total = Fraction(0)
    for outcome in itertools.product(*[range(n + 1) for n in used]):
        if any(z_ge(2 * b - n, n, a, m) for b, n in zip(outcome, used)):
            total += Fraction(math.prod(math.comb(n, b) for b, n in zip(outcome, used)), 1 << sum(used))
    return total


def max_drop_log():
    rows = []
    for tasks in [[[1037, 38], [10, 10]], [[3000, 10], [5, 5]], [[1037, 38], [2000, 100], [5, 3]],
                  [[16, 9], [12, 7], [11, 7]], [[3, 1], [2, 2], [4, 0]], [[0, 5], [1, 3]], [[5, 0], [0, 5]],
                  [[0, 0], [3, 1], [2, 2]], [[4, 1], [9, 4], [1, 0]], [[400, 300], [1, 0]]]:
        M, p, _ = max_drop_exact(tasks)
        if sum(b + c for b, c in tasks) <= 14:
            e = max_drop_enumerated(tasks)
            if e != p:
                log(f"max_drop_log: enumeration disagrees for {tasks}: {e} vs {p}")
                sys.exit(1)
        rows.append({"tasks": tasks, "max_z": f64(M), "ln_p": f64(ln_frac(p)), "p": float(p)})
    return rows


# ---------------------------------------------------------------- 4. Holm on logs
def holm_log():
    lnp = [-800.0, -750.0, -2.3, -0.01, -745.5, -799.9, -1.2, -0.3]
    m = len(lnp)
    order = sorted(range(m), key=lambda i: lnp[i])
    out = [0.0] * m
    running = mp.ninf
    for rank, i in enumerate(order):
        running = max(running, min(mp.mpf(0), mp.log(m - rank) + mp.mpf(lnp[i])))
        out[i] = f64(running)
    return {"ln_p": lnp, "ln_adjusted": out}


# ---------------------------------------------------------------- 5. Tango score interval
def normal_quantile(p):
    return mp.sqrt(2) * mp.erfinv(2 * mp.mpf(p) - 1)


def tango_z(b, c, n, D):
    """Z(D), or None where it is undefined (0/0)."""
    D = mp.mpf(D)
    B = -b - c + (2 * n - b + c) * D
    disc = B * B + 8 * n * c * D * (1 - D)
    if disc < 0:
        if disc > -mp.mpf(10) ** -40:
            disc = mp.mpf(0)
        else:
            raise ValueError(f"negative discriminant at b={b} c={c} n={n} D={D}")
    q = (-B + mp.sqrt(disc)) / (4 * n)
    var = n * (2 * q + D - D * D)
    num = b - c - n * D
    if var <= 0:
        if num == 0:
            return None
        return mp.inf if num > 0 else mp.ninf
    return num / mp.sqrt(var)


def bisect_root(g, lo, hi, iters=220):
    """Root of a function with g(lo) > 0 >= g(hi) (either end may be where g is only a limit)."""
    for _ in range(iters):
        mid = (lo + hi) / 2
        if g(mid) > 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def tango_row(b, c, n, alpha=Fraction(5, 100)):
    z975 = normal_quantile(mp.mpf(0.975))
    z_up = normal_quantile(1 - mpq(alpha))
    d_obs = Fraction(b - c, n)
    tiny = mp.mpf(10) ** -45

    def Z(D):
        if mpq(d_obs) == D:
            return mp.mpf(0)
        return tango_z(b, c, n, D)

    # lower end: Z(lo) = +z975, searched on (-1, d_obs]
    if d_obs == -1:
        lo = mp.mpf(-1)
    else:
        zl = Z(-1 + tiny)
        lo = mp.mpf(-1) if zl <= z975 else bisect_root(lambda D: Z(D) - z975, mp.mpf(-1) + tiny, mpq(d_obs))
    if d_obs == 1:
        hi = mp.mpf(1)
        upper = mp.mpf(1)
    else:
        zh = Z(1 - tiny)
        hi = mp.mpf(1) if zh >= -z975 else bisect_root(lambda D: Z(D) + z975, mpq(d_obs), 1 - tiny)
        upper = mp.mpf(1) if zh >= -z_up else bisect_root(lambda D: Z(D) + z_up, mpq(d_obs), 1 - tiny)
    for name, v, target in [("lo", lo, z975), ("hi", hi, -z975), ("upper", upper, -z_up)]:
        if abs(v) < 1:
            zv = Z(v)
            if abs(zv - target) > mp.mpf(10) ** -20:
                log(f"tango ({b},{c},{n}): {name} misses: Z={zv} target={target}")

    # monotonicity on a fine grid (finer near the ends)
    grid = [mp.mpf(-1) + mp.mpf(2) * i / 4000 for i in range(1, 4000)]
    grid += [mp.mpf(-1) + mp.mpf(10) ** -e for e in range(3, 12)] + [mp.mpf(1) - mp.mpf(10) ** -e for e in range(3, 12)]
    grid.sort()
    grid = [D for i, D in enumerate(grid) if i == 0 or D - grid[i - 1] > mp.mpf(10) ** -30]
    vals = [(D, Z(D)) for D in grid]
    vals = [(D, z) for D, z in vals if z is not None]
    bad = [(D, z1, z2) for (D, z1), (_, z2) in zip(vals, vals[1:]) if not z2 < z1]
    log(f"tango ({b},{c},{n}): Z {'monotone decreasing' if not bad else 'NOT monotone'} on {len(vals)} grid points"
        f"; [lo, hi] = [{mp.nstr(lo, 8)}, {mp.nstr(hi, 8)}], upper = {mp.nstr(upper, 8)}")
    for D, z1, z2 in bad[:3]:
        log(f"   not decreasing after D={mp.nstr(D, 8)}: {mp.nstr(z1, 8)} -> {mp.nstr(z2, 8)}")

    margins = []
    for Ds in ["0.01", "0.02", "0.05"]:
        D = mpq(Fraction(Ds))
        z = Z(D)
        margins.append({"D": float(Fraction(Ds)), "z": f64(z), "p_ni": f64(mp.ncdf(z))})
    return {"b": b, "c": c, "n": n, "lo": f64(lo), "hi": f64(hi), "upper": f64(upper), "alpha": float(alpha),
            "margins": margins}


def tango():
    return [tango_row(b, c, n) for b, c, n in [
        (3, 0, 50), (0, 0, 500), (0, 0, 1), (27, 19, 499), (120, 20, 1000), (0, 5, 100), (50, 0, 50), (1, 1, 2),
        (400, 310, 14042), (0, 50, 50), (7, 2, 30)]]


# ---------------------------------------------------------------- 6. power of the decision
def power_row(n, f_s, drop_s, alpha_s, power_s, tasks):
    f, drop, alpha, pw = Fraction(f_s), Fraction(drop_s), Fraction(alpha_s), Fraction(power_s)
    level = alpha / 3 if tasks >= 2 else alpha
    zsum = normal_quantile(1 - mpq(level)) + normal_quantile(mpq(pw))
    mdd = zsum * mp.sqrt(mpq(f) / n)
    need_real = zsum * zsum * mpq(f) / mpq(drop) ** 2
    needed = int(mp.ceil(need_real))
    if abs(need_real - mp.nint(need_real)) < mp.mpf(10) ** -6:
        log(f"power: needed {need_real} is close to an integer")

    # critical counts: crit[m] = smallest b with P[Bin(m,1/2) >= b] <= level (m + 1: never rejects)
    crit = []
    row = [1]
    for m in range(n + 1):
        if m:
            row = [1] + [row[j - 1] + row[j] for j in range(1, m)] + [1]
        tail = 0
        b = m + 1
        # walk down while the tail including j stays within the level
        for j in range(m, -1, -1):
            t2 = tail + row[j]
            if t2 * level.denominator <= level.numerator << m:
                tail, b = t2, j
            else:
                break
        crit.append(b)
    pb = mpq((f + drop) / (2 * f))
    fm = mpq(f)
    exact = mp.mpf(0)
    for m in range(n + 1):
        if crit[m] > m:
            continue
        pm = mp.binomial(n, m) * fm ** m * (1 - fm) ** (n - m)
        tail = mp.betainc(crit[m], m - crit[m] + 1, 0, pb, regularized=True)
        exact += pm * tail
    # cross-check with scipy in doubles
    ms = np.arange(n + 1)
    sp = float(np.sum(stats.binom.pmf(ms, n, float(f)) *
                      np.array([stats.binom.sf(crit[m] - 1, m, float(pb)) if crit[m] <= m else 0.0 for m in ms])))
    if abs(sp - float(exact)) > 1e-9:
        log(f"power: scipy differs for n={n}: {sp} vs {float(exact)}")
    log(f"power n={n} f={f_s} drop={drop_s} tasks={tasks}: exact {mp.nstr(exact, 10)}, mdd {mp.nstr(mdd, 8)}, "
        f"needed {needed}")
    return {"n": n, "f": float(f), "drop": float(drop), "alpha": float(alpha), "power": float(pw), "tasks": tasks,
            "level": float(level), "mdd": f64(mdd), "needed": needed, "exact_power": f64(exact)}


def power_decision():
    return [power_row(*a) for a in [
        (1000, "0.1", "0.02", "0.05", "0.8", 2), (1000, "0.1", "0.02", "0.05", "0.8", 1),
        (2000, "0.05", "0.01", "0.05", "0.9", 3), (500, "0.2", "0.05", "0.01", "0.8", 1),
        (1500, "0.08", "0.03", "0.1", "0.8", 4)]]


# ---------------------------------------------------------------- permutation statistics (7 and 8)
def scaled(task):
    """Decimal strings -> integers at one common scale per task (a task's z and ranks do not depend on it)."""
    fr = [Fraction(s) for s in task]
    den = 1
    for x in fr:
        den = den * x.denominator // math.gcd(den, x.denominator)
    return [int(x * den) for x in fr]


def z_value(S, Q):
    """S / sqrt(Q) rounded once from 60 digits."""
    return f64(mp.mpf(S) / mp.sqrt(Q))


def eps_of(x):
    return 1e-12 * max(1.0, abs(x))


def combine(zs, ln_ps):
    """(stouffer, fisher, max) from the per-task z and ln p* of the tasks that count."""
    T = len(zs)
    st = math.fsum(zs) / math.sqrt(T)
    fi = -2.0 * math.fsum(ln_ps)
    mx = max(zs)
    return st, fi, mx


def npc_exact_row(tasks):
    ints = [scaled(t) for t in tasks]
    nz = [[v for v in t if v != 0] for t in ints]
    N = sum(len(t) for t in nz)
    assert N <= 16
    Qs = [sum(v * v for v in t) for t in ints]
    live = [i for i, Q in enumerate(Qs) if Q > 0]
    # each task's own distribution of S over its sign patterns (pattern 0 = observed)
    dists = []
    for t in nz:
        vals = []
        for signs in range(1 << len(t)):
            vals.append(sum(-v if (signs >> i) & 1 else v for i, v in enumerate(t)))
        dists.append(vals)
    sorted_d = [sorted(v) for v in dists]

    def frac_ge(t, s):  # #{own patterns with S >= s} / 2^{N_t}  (= the same count over all 2^N patterns)
        return Fraction(len(sorted_d[t]) - bisect.bisect_left(sorted_d[t], s), len(sorted_d[t]))

    p_task = [frac_ge(t, dists[t][0]) for t in range(len(tasks))]
    # per task, per own pattern: z and ln p*, rounded once
    zt = {t: [z_value(s, Qs[t]) for s in dists[t]] for t in live}
    lnp = {t: [f64(ln_frac(frac_ge(t, s))) for s in dists[t]] for t in live}
    obs = combine([zt[t][0] for t in live], [lnp[t][0] for t in live])
    hits = [0, 0, 0]
    near = 0
    for combo in itertools.product(*[range(len(dists[t])) for t in live]):
        st = combine([zt[t][k] for t, k in zip(live, combo)], [lnp[t][k] for t, k in zip(live, combo)])
        for j in range(3):
            e = eps_of(obs[j])
            if st[j] >= obs[j] - e:
                hits[j] += 1
            if abs(st[j] - (obs[j] - e)) < 1e-3 * e:
                near += 1
    if near:
        log(f"npc_exact: {near} statistics within 1e-3 eps of the threshold for {tasks}")
    # patterns of tasks that are all zero (and of zero samples) do not change anything: counts over 2^N
    total = 1 << N
    scale = total // math.prod(len(dists[t]) for t in live)
    ps = [Fraction(h * scale, total) for h in hits]
    row = {"tasks": tasks, "p_task": [float(p) for p in p_task]}
    for j, name in enumerate(["stouffer", "fisher", "max"]):
        row[name] = {"stat": obs[j], "p": float(ps[j])}
    log(f"npc_exact N={N}: p_task={[str(p) for p in p_task]} p={[str(p) for p in ps]}")
    return row


def npc_exact():
    cases = [
        # (a) one binary task alone
        [["1", "1", "1", "-1", "1", "0", "0"]],
        # (b) a binary task and a continuous task in the thousands
        [["1", "1", "1", "1", "-1", "0"], ["1523.25", "-980.5", "2210.75", "-15.5", "300.125"]],
        # (c) three tasks of different kinds and scales
        [["1", "-1", "1", "1", "0"], ["0.25", "0.5", "-0.125", "0.75"], ["-1200.5", "3400.25", "15.75", "880"]],
        # (d) F1-like differences with ties a float subtraction would break (0.7-0.4 vs 0.3-0.0)
        [["0.3", "0.3", "-0.3", "0.1", "-0.2", "0.5", "-0.5", "0.3"]],
        [["0.3", "0.3", "-0.3", "0.1", "-0.2", "0.5", "-0.5", "0.3"], ["1", "-1", "1", "0", "1"]],
        # (e) one task with no nonzero difference
        [["1", "1", "-1", "1", "0"], ["0", "0", "0"], ["2.5", "-0.75", "1.25"]],
    ]
    return [npc_exact_row(t) for t in cases]


# The Philox4x32-10 stream, the one make_vectors.py writes from the published algorithm.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_vectors import MASK, philox  # noqa: E402


def clopper_pearson99(h, P):
    lo = 0.0 if h == 0 else float(stats.beta.ppf(0.005, h, P - h + 1))
    hi = 1.0 if h == P else float(stats.beta.ppf(0.995, h + 1, P - h))
    return [lo, hi]


def npc_stream_row(tasks, P, seed):
    ints = [scaled(t) for t in tasks]
    owner = [t for t, vals in enumerate(ints) for _ in vals]
    flat = [v for vals in ints for v in vals]
    N = len(flat)
    blocks = (N + 127) // 128
    key = (seed & MASK, seed >> 32)
    T = len(tasks)
    Qs = [sum(v * v for v in t) for t in ints]
    live = [t for t in range(T) if Qs[t] > 0]
    S = [[0] * (P + 1) for _ in range(T)]  # S[t][k], k = 0 observed
    for i, v in enumerate(flat):
        S[owner[i]][0] += v
    for j in range(P):
        words = []
        for b in range(blocks):
            words.extend(philox((j, b, 0, 0), key))
        for i, v in enumerate(flat):
            r = i % 128
            flip = (words[(i // 128) * 4 + (r >> 5)] >> (r & 31)) & 1
            S[owner[i]][j + 1] += -v if flip else v
    task_hits = [sum(1 for k in range(1, P + 1) if S[t][k] >= S[t][0]) for t in range(T)]
    zt = {t: [z_value(s, Qs[t]) for s in S[t]] for t in live}
    lnp = {}
    for t in live:
        srt = sorted(S[t])
        lnp[t] = [f64(ln_frac(Fraction(P + 1 - bisect.bisect_left(srt, s), P + 1))) for s in S[t]]
    stat = [combine([zt[t][k] for t in live], [lnp[t][k] for t in live]) for k in range(P + 1)]
    hits = {}
    for j, name in enumerate(["stouffer", "fisher", "max"]):
        e = eps_of(stat[0][j])
        hits[name] = sum(1 for k in range(1, P + 1) if stat[k][j] >= stat[0][j] - e)
        close = sum(1 for k in range(1, P + 1) if abs(stat[k][j] - (stat[0][j] - e)) < 1e-3 * e)
        if close:
            log(f"npc_stream: {close} {name} values within 1e-3 eps of the threshold")
    row = {"tasks": tasks, "permutations": P, "seed": seed, "hits": hits, "task_hits": task_hits,
           "p": {k: (1 + h) / (1 + P) for k, h in hits.items()},
           "p_task": [(1 + h) / (1 + P) for h in task_hits],
           "mc99": {k: clopper_pearson99(h, P) for k, h in hits.items()},
           "task_mc99": [clopper_pearson99(h, P) for h in task_hits],
           "observed": {"stouffer": stat[0][0], "fisher": stat[0][1], "max": stat[0][2]}}
    log(f"npc_stream N={N} P={P} seed={seed}: hits={hits} task_hits={task_hits}")
    return row


def make_suite(rng, spec):
    """spec: list of ('bin', n, p_regress, p_improve) or ('cont', n, mean, sd)."""
    tasks = []
    for kind, n, a, b in spec:
        if kind == "bin":
            u = rng.random(n)
            tasks.append(["1" if x < a else "-1" if x < a + b else "0" for x in u])
        else:
            tasks.append([f"{x:.4f}" for x in rng.normal(a, b, n)])
    return tasks


def npc_stream():
    rng = np.random.default_rng(20261130)
    suites = [
        (make_suite(rng, [("bin", 150, 0.12, 0.08), ("cont", 100, 90.0, 1000.0)]), 300, 0),
        (make_suite(rng, [("bin", 130, 0.10, 0.10), ("cont", 90, -40.0, 1500.0), ("bin", 80, 0.15, 0.05)]),
         1000, 7),
        (make_suite(rng, [("cont", 200, 60.0, 800.0), ("bin", 190, 0.09, 0.07)]), 1000, 123456789012345),
    ]
    return [npc_stream_row(t, P, s) for t, P, s in suites]


def main():
    out = {
        "log_upper_tail": log_upper_tail(),
        "fisher_log": fisher_log(),
        "max_drop_log": max_drop_log(),
        "holm_log": holm_log(),
        "tango": tango(),
        "power_decision": power_decision(),
        "npc_exact": npc_exact(),
        "npc_stream": npc_stream(),
    }
    print(json.dumps(out, indent=1, allow_nan=False))


if __name__ == "__main__":
    main()

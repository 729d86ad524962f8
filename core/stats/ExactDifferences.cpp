// SPDX-License-Identifier: GPL-3.0-or-later
#include "stats/ExactDifferences.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <optional>

namespace deltascope::stats {

namespace {

constexpr double kLimit = 2305843009213693952.0; // 2^61

// The smallest k <= 9 such that every finite score is an integer number of 10^-k (as a decimal
// written with at most k fraction digits reads), or nothing.
std::optional<int> decimalDigits(std::span<const double> a, std::span<const double> b)
{
    for (int k = 0; k <= 9; ++k) {
        const double scale = std::pow(10.0, k);
        bool all = true;
        for (const auto* side : { &a, &b }) {
            for (const double v : *side) {
                if (!std::isfinite(v))
                    continue;
                const double r = std::nearbyint(v * scale);
                if (std::fabs(r) >= 9007199254740992.0 || r / scale != v) {
                    all = false;
                    break;
                }
            }
            if (!all)
                break;
        }
        if (all)
            return k;
    }
    return std::nullopt;
}

// How far a score may lie from its grid point: a few units in its own last place (the rounding of
// a mean computed in doubles), never an absolute amount, so that a tiny score is never taken for 0.
double gridTolerance(double magnitude)
{
    return 16.0 * std::numeric_limits<double>::epsilon() * magnitude;
}

// The denominator q <= maxDen of a fraction p / q within a few units in the last place of v (a
// mean of epochs or reruns as a double: 1/3, 2/3, 0.30000000000000004), from the convergents of
// v's continued fraction: a fraction that close is one of them. 0 when there is none.
std::int64_t smallDenominator(double v, std::int64_t maxDen)
{
    const double x = std::fabs(v);
    const double tol = gridTolerance(x);
    if (x >= 4503599627370496.0) // 2^52: every double here is an integer already
        return 1;
    // Convergents h / k: h_n = a_n h_{n-1} + h_{n-2}, likewise k.
    double hPrev = 1.0, h = std::floor(x);
    double kPrev = 0.0, k = 1.0;
    double rest = x - h;
    for (int step = 0; step < 64; ++step) {
        if (std::fabs(x - h / k) <= tol)
            return static_cast<std::int64_t>(k);
        if (rest <= 0.0)
            return 0;
        const double inv = 1.0 / rest;
        const double a = std::floor(inv);
        rest = inv - a;
        const double hNext = a * h + hPrev;
        const double kNext = a * k + kPrev;
        if (kNext > static_cast<double>(maxDen))
            return 0;
        hPrev = h;
        h = hNext;
        kPrev = k;
        k = kNext;
    }
    return 0;
}

// The smallest common denominator D <= kMaxDenominator such that every finite score is within a
// few units in the last place of an integer number of 1/D, or nothing. Scores that are means of a
// few 0/1 (or 0/0.5/1) outcomes sit on such a grid, but their differences as doubles do not:
// 1 - 1/3 and 2/3 - 0 differ in the last bit, and a permutation's sum that ties the observed one
// must count as reaching it.
constexpr std::int64_t kMaxDenominator = 1 << 20;

std::optional<std::int64_t> commonDenominator(std::span<const double> a, std::span<const double> b)
{
    std::int64_t den = 1;
    double largest = 0.0;
    for (const auto* side : { &a, &b }) {
        for (const double v : *side) {
            if (!std::isfinite(v))
                continue;
            largest = std::max(largest, std::fabs(v));
            const double scaled = v * static_cast<double>(den);
            if (std::fabs(scaled - std::nearbyint(scaled)) <= gridTolerance(std::fabs(scaled)))
                continue; // already on the grid (0 included)
            const std::int64_t q = smallDenominator(v, kMaxDenominator);
            if (q == 0)
                return std::nullopt;
            den = std::lcm(den, q);
            if (den > kMaxDenominator)
                return std::nullopt;
        }
    }
    // Below 2^44 grid steps the tolerance stays under a sixteenth of a step: two scores a step apart
    // never meet on one grid point.
    if (largest * static_cast<double>(den) >= 17592186044416.0) // 2^44
        return std::nullopt;
    return den;
}

// Oriented difference of one pair's integer or real values; infinities are handled by the caller.
double oriented(double b, double c, bool higherIsBetter)
{
    return higherIsBetter ? b - c : c - b;
}

// +1 / -1 for a pair whose difference is infinite in that direction, 0 for a finite or tied pair.
int infiniteSide(double b, double c, bool higherIsBetter)
{
    if (std::isfinite(b) && std::isfinite(c))
        return 0;
    if (std::isinf(b) && std::isinf(c) && (b > 0) == (c > 0))
        return 0; // the same infinity on both sides: a tie
    const double d = oriented(b, c, higherIsBetter);
    if (std::isnan(d))
        return 0; // no direction: a tie
    return d > 0 ? 1 : -1;
}

} // namespace

ExactDifferences exactDifferences(std::span<const double> base, std::span<const double> cand, bool higherIsBetter)
{
    ExactDifferences out;
    const std::size_t n = base.size();
    out.q.assign(n, 0);
    // Exact integers on a grid every score lies on: a decimal one (up to nine fraction digits,
    // read exactly) or one of small fractions (means of a few outcomes, within rounding).
    std::optional<double> gridScale;
    if (const auto digits = decimalDigits(base, cand))
        gridScale = std::pow(10.0, *digits);
    else if (const auto den = commonDenominator(base, cand))
        gridScale = static_cast<double>(*den);
    std::int64_t infinities = 0;
    for (std::size_t i = 0; i < n; ++i)
        infinities += infiniteSide(base[i], cand[i], higherIsBetter) != 0 ? 1 : 0;
    // Room left for the infinite differences: each weighs more than all finite ones together.
    int room = 0;
    while ((std::int64_t { 1 } << room) < infinities + 1)
        ++room;
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        if (infiniteSide(base[i], cand[i], higherIsBetter) != 0 || !std::isfinite(base[i]) || !std::isfinite(cand[i]))
            continue;
        const double d = oriented(base[i], cand[i], higherIsBetter);
        if (!std::isfinite(d)) {
            char buf[128];
            std::snprintf(buf, sizeof buf, "the difference of pair %zu (%.6g against %.6g) overflows a double", i + 1,
                base[i], cand[i]);
            out.error = buf;
            return out;
        }
        total += std::fabs(d);
    }
    if (!std::isfinite(total)) {
        out.error = "the differences sum to more than a double can hold";
        return out;
    }
    if (gridScale) {
        const double scale = *gridScale;
        // |d| summed in units; exact below 2^53 per score, summed in long double to check the bound.
        long double units = 0;
        for (std::size_t i = 0; i < n; ++i)
            if (std::isfinite(base[i]) && std::isfinite(cand[i]))
                units += std::fabs(static_cast<long double>(std::nearbyint(base[i] * scale))
                    - static_cast<long double>(std::nearbyint(cand[i] * scale)));
        if (units < std::ldexp(kLimit, -2 - room)) {
            out.unit = 1.0 / scale;
            for (std::size_t i = 0; i < n; ++i) {
                if (!std::isfinite(base[i]) || !std::isfinite(cand[i]))
                    continue;
                const auto b = static_cast<std::int64_t>(std::nearbyint(base[i] * scale));
                const auto c = static_cast<std::int64_t>(std::nearbyint(cand[i] * scale));
                out.q[i] = higherIsBetter ? b - c : c - b;
            }
        } else {
            out.exactGrid = false;
        }
    } else {
        out.exactGrid = false;
    }
    std::int64_t finiteSum = 0;
    if (!out.exactGrid && total > 0.0) {
        int exponent = 0;
        std::frexp(total, &exponent); // total < 2^exponent
        const int scale = 59 - room - exponent; // the finite part stays below 2^(59 - room)
        out.unit = std::ldexp(1.0, -scale);
        for (std::size_t i = 0; i < n; ++i)
            if (std::isfinite(base[i]) && std::isfinite(cand[i]))
                out.q[i] = std::llround(std::ldexp(oriented(base[i], cand[i], higherIsBetter), scale));
    }
    for (const auto v : out.q)
        finiteSum += v < 0 ? -v : v;
    // An infinite difference outweighs all finite ones together; with the room kept above, all of
    // them together stay below 2^61.
    out.infinite = infinities;
    if (infinities > 0) {
        const std::int64_t weight = finiteSum + 1;
        for (std::size_t i = 0; i < n; ++i)
            if (const int side = infiniteSide(base[i], cand[i], higherIsBetter))
                out.q[i] = side * weight;
            else if (!std::isfinite(base[i]) || !std::isfinite(cand[i]))
                out.q[i] = 0;
    }
    return out;
}

} // namespace deltascope::stats

// SPDX-License-Identifier: GPL-3.0-or-later
#include "stats/Tango.h"

#include "stats/Binomial.h"
#include "stats/MathPolicy.h"

#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>

namespace deltascope::stats {

double tangoZ(std::int64_t b, std::int64_t c, std::int64_t n, double margin)
{
    // Extended precision: near D = -1 (or +1) the quadratic has a near-double root and the
    // discriminant cancels.
    using Wide = long double;
    const Wide nd = static_cast<Wide>(n);
    const Wide bd = static_cast<Wide>(b);
    const Wide cd = static_cast<Wide>(c);
    const Wide d = margin;
    // q: the improvement rate's maximum-likelihood estimate under drop = D, the larger root of
    // 2n q^2 + B q + C = 0, taken in the form that does not cancel.
    const Wide a2 = 2 * nd;
    const Wide bq = -bd - cd + (2 * nd - bd + cd) * d;
    const Wide c0 = -cd * d * (1 - d);
    const Wide disc = std::sqrt(std::max(Wide(0), bq * bq - 4 * a2 * c0));
    Wide q = bq <= 0 ? (-bq + disc) / (2 * a2) : (bq + disc > 0 ? -2 * c0 / (bq + disc) : Wide(0));
    q = std::max(q, Wide(0));
    const double numerator = static_cast<double>(bd - cd - nd * d);
    const double variance = static_cast<double>(nd * (2 * q + d - d * d));
    if (!(variance > 0.0)) {
        if (numerator == 0.0)
            return 0.0;
        return numerator > 0.0 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    }
    return numerator / std::sqrt(variance);
}

namespace {

// The D in [lo, hi] where Z crosses `target`, Z falling from above to below it; found by bisection
// to the resolution of a double. Returns the end itself when Z does not cross inside.
double crossing(std::int64_t b, std::int64_t c, std::int64_t n, double lo, double hi, double target)
{
    for (int i = 0; i < 200 && hi - lo > 1e-15; ++i) {
        const double mid = 0.5 * (lo + hi);
        if (tangoZ(b, c, n, mid) > target)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

double observedDrop(std::int64_t b, std::int64_t c, std::int64_t n)
{
    return static_cast<double>(b - c) / static_cast<double>(n);
}

} // namespace

std::pair<double, double> tangoInterval(std::int64_t b, std::int64_t c, std::int64_t n, double confidence)
{
    const double z = normalQuantile(0.5 + confidence / 2.0);
    const double drop = observedDrop(b, c, n);
    // Z(-1) and Z(1) are the limits at the ends (the variance vanishes there): the bound is the end
    // itself when Z does not reach the critical value inside.
    const double lo = tangoZ(b, c, n, -1.0) <= z ? -1.0 : crossing(b, c, n, -1.0, drop, z);
    const double hi = tangoZ(b, c, n, 1.0) >= -z ? 1.0 : crossing(b, c, n, drop, 1.0, -z);
    return { lo, hi };
}

double tangoUpperBound(std::int64_t b, std::int64_t c, std::int64_t n, double alpha)
{
    const double z = normalQuantile(1.0 - alpha);
    const double drop = observedDrop(b, c, n);
    return tangoZ(b, c, n, 1.0) >= -z ? 1.0 : crossing(b, c, n, drop, 1.0, -z);
}

double tangoNonInferiorityP(std::int64_t b, std::int64_t c, std::int64_t n, double margin)
{
    return normalCdf(tangoZ(b, c, n, margin));
}

} // namespace deltascope::stats

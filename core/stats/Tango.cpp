#include "stats/Tango.h"

#include "stats/Binomial.h"
#include "stats/MathPolicy.h"

#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>

namespace deltascope::stats {

double tangoZ(std::int64_t b, std::int64_t c, std::int64_t n, double margin)
{
    const double nd = static_cast<double>(n);
    const double bd = static_cast<double>(b);
    const double cd = static_cast<double>(c);
    const double d = margin;
    // q: the improvement rate's maximum-likelihood estimate under drop = D, the non-negative root of
    // 2n q^2 + B q + C = 0 (C <= 0, so one root is >= 0), taken in the form that does not cancel.
    const double a2 = 2.0 * nd;
    const double bq = -bd - cd + (2.0 * nd - bd + cd) * d;
    const double c0 = -cd * d * (1.0 - d);
    const double disc = std::sqrt(std::max(0.0, bq * bq - 4.0 * a2 * c0));
    double q = bq <= 0.0 ? (-bq + disc) / (2.0 * a2) : (bq + disc > 0.0 ? -2.0 * c0 / (bq + disc) : 0.0);
    q = std::max(q, 0.0);
    const double numerator = bd - cd - nd * d;
    const double variance = nd * (2.0 * q + d - d * d);
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
    const boost::math::normal_distribution<double, detail::Policy> normal;
    const double z = tangoZ(b, c, n, margin);
    if (std::isinf(z))
        return z > 0 ? 1.0 : 0.0;
    return boost::math::cdf(normal, z);
}

} // namespace deltascope::stats

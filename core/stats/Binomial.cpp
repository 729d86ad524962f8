#include "stats/Binomial.h"

#include "stats/MathPolicy.h"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <cmath>

namespace deltascope::stats {

double binomialUpperTail(std::int64_t n, double p, std::int64_t k)
{
    if (k <= 0)
        return 1.0;
    if (k > n)
        return 0.0;
    if (p <= 0.0)
        return 0.0;
    if (p >= 1.0)
        return 1.0;
    // P[X >= k] = I_p(k, n - k + 1)
    return boost::math::ibeta(static_cast<double>(k), static_cast<double>(n - k + 1), p, detail::Policy());
}

double binomialUpperTailHalf(std::int64_t n, std::int64_t k)
{
    return binomialUpperTail(n, 0.5, k);
}

double binomialLowerTailHalf(std::int64_t n, std::int64_t k)
{
    // Symmetric at p = 1/2: P[X <= k] = P[X >= n - k].
    return binomialUpperTailHalf(n, n - k);
}

std::pair<double, double> clopperPearson(std::int64_t k, std::int64_t n, double confidence)
{
    const double a = (1.0 - confidence) / 2.0;
    const double kd = static_cast<double>(k);
    const double nd = static_cast<double>(n);
    const double lo = k <= 0 ? 0.0 : boost::math::ibeta_inv(kd, nd - kd + 1.0, a, detail::Policy());
    const double hi = k >= n ? 1.0 : boost::math::ibeta_inv(kd + 1.0, nd - kd, 1.0 - a, detail::Policy());
    return { lo, hi };
}

double normalQuantile(double p)
{
    const boost::math::normal_distribution<double, detail::Policy> normal;
    return boost::math::quantile(normal, std::clamp(p, 1e-300, 1.0 - 1e-16));
}

double chiSquaredUpperTail(double x, double df)
{
    if (!(x > 0.0))
        return 1.0;
    return boost::math::gamma_q(df / 2.0, x / 2.0, detail::Policy());
}

} // namespace deltascope::stats

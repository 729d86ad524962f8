#include "stats/McNemar.h"

#include "stats/Binomial.h"

#include <algorithm>

namespace deltascope::stats {

McNemarResult mcnemar(std::int64_t b, std::int64_t c, std::int64_t n, double confidence)
{
    McNemarResult r;
    r.n = n;
    r.b = b;
    r.c = c;
    const std::int64_t m = b + c;
    r.pOneSided = b == 0 ? 1.0 : binomialUpperTailHalf(m, b);
    r.pTwoSided = m == 0 ? 1.0 : std::min(1.0, 2.0 * binomialLowerTailHalf(m, std::min(b, c)));
    if (n > 0) {
        r.delta = static_cast<double>(b - c) / static_cast<double>(n);
        r.flipRate = static_cast<double>(m) / static_cast<double>(n);
    }
    if (m > 0) {
        const auto [lo, hi] = clopperPearson(b, m, confidence);
        r.ciLow = r.flipRate * (2.0 * lo - 1.0);
        r.ciHigh = r.flipRate * (2.0 * hi - 1.0);
    }
    return r;
}

} // namespace deltascope::stats

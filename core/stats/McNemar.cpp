// SPDX-License-Identifier: GPL-3.0-or-later
#include "stats/McNemar.h"

#include "stats/Binomial.h"
#include "stats/Tango.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace deltascope::stats {

McNemarResult mcnemar(std::int64_t b, std::int64_t c, std::int64_t n, double confidence)
{
    McNemarResult r;
    r.n = n;
    r.b = b;
    r.c = c;
    const std::int64_t m = b + c;
    r.pOneSided = b == 0 ? 1.0 : binomialUpperTailHalf(m, b);
    r.lnPOneSided = b == 0 ? 0.0 : lnBinomialUpperTailHalf(m, b);
    if (r.pOneSided < 1e-280)
        r.pOneSided = std::exp(r.lnPOneSided); // where the direct tail underflows
    r.pTwoSided = m == 0 ? 1.0 : std::min(1.0, 2.0 * binomialLowerTailHalf(m, std::min(b, c)));
    if (n > 0) {
        r.delta = static_cast<double>(b - c) / static_cast<double>(n);
        r.flipRate = static_cast<double>(m) / static_cast<double>(n);
    }
    if (n > 0)
        std::tie(r.ciLow, r.ciHigh) = tangoInterval(b, c, n, confidence);
    return r;
}

} // namespace deltascope::stats

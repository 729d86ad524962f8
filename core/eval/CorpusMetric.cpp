// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/CorpusMetric.h"

#include <cmath>
#include <limits>

namespace deltascope::eval {

bool isCorpusMetric(std::string_view metric)
{
    return metric == "word_perplexity" || metric == "byte_perplexity" || metric == "bits_per_byte";
}

double corpusValue(std::string_view metric, double sumLogLikelihood, double sumWeight)
{
    if (!isCorpusMetric(metric) || !(sumWeight > 0.0))
        return std::numeric_limits<double>::quiet_NaN();
    const double perUnit = -sumLogLikelihood / sumWeight;
    if (metric == "bits_per_byte")
        return perUnit / std::log(2.0);
    return std::exp(perUnit);
}

} // namespace deltascope::eval

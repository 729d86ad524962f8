// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string_view>

namespace deltascope::eval {

/// True for the metrics lm-eval aggregates over the whole corpus from per-document
/// [loglikelihood, weight] items: word_perplexity, byte_perplexity, bits_per_byte.
bool isCorpusMetric(std::string_view metric);

/// The metric over a corpus, aggregated as lm-eval does: word_perplexity and byte_perplexity are
/// exp(-sum ll / sum weight), bits_per_byte is -sum ll / (sum weight * ln 2), the weight being the
/// documents' words or bytes. NaN for other metrics or when the weights sum to nothing.
double corpusValue(std::string_view metric, double sumLogLikelihood, double sumWeight);

} // namespace deltascope::eval

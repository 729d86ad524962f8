#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace deltascope::eval {

/// Metrics whose per-sample value is a log-likelihood (alone or as a [loglikelihood, weight]
/// corpus item) even though the corpus metric computed from it is lower-is-better.
bool isLogLikelihoodMetric(std::string_view metric);

/// Turns the text of a score written as a string ("0.0", "true", "[-2528.1, 1093]", "N/A") into a
/// number. Returns nullopt for a missing value ("N/A", "", "null"); sets error for text that is
/// not a number.
std::optional<double> scoreFromString(std::string_view text, bool logLikelihood, std::string& error);

} // namespace deltascope::eval

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace deltascope::eval {

/// Metrics whose per-sample value is a log-likelihood (alone or as a [loglikelihood, weight]
/// corpus item) even though the corpus metric computed from it is lower-is-better.
bool isLogLikelihoodMetric(std::string_view metric);

/// Reads one number written as text, with the spellings Python uses for the non-finite values
/// in any case ("nan", "NaN", "inf", "-inf", "Infinity", "-Infinity"), and true/false as 1/0.
/// nullopt when the text is not a number.
std::optional<double> numberFromText(std::string_view text);

/// Turns the text of a score written as a string ("0.0", "true", "[-2528.1, 1093]", "N/A") into a
/// number. Returns nullopt for a missing value ("N/A", "", "null"); sets error for text that is
/// not a number. With logLikelihood, a list is a [loglikelihood, weight] corpus item: the score is
/// its first number and the second goes to *weight when weight is given. A NaN anywhere in the
/// text makes the result NaN (the caller refuses it).
std::optional<double> scoreFromString(
    std::string_view text, bool logLikelihood, std::string& error, double* weight = nullptr);

/// The message for a score that is NaN ("the acc score is NaN; ...").
std::string nanScoreMessage(std::string_view metric);

/// What is wrong with a corpus metric's item (lm-eval writes [log-likelihood, count] per document
/// for perplexities): `values` numbers read, the first two given. Empty when it is usable: two
/// values, a log-likelihood of at most 0 and a positive, finite count.
std::string corpusItemProblem(std::size_t values, double logLikelihood, double count);

} // namespace deltascope::eval

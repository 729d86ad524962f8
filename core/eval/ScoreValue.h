// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace deltascope::eval {

/// Metrics whose per-sample value is a log-likelihood (alone or as a [loglikelihood, weight]
/// corpus item) even though the corpus metric computed from it is lower-is-better.
bool isLogLikelihoodMetric(std::string_view metric);

/// How a list-valued score reads.
enum class ScoreShape {
    Plain, ///< per-instance values, averaged
    CorpusItem, ///< a [loglikelihood, weight] corpus item (perplexity-style metrics)
    GoldPrediction, ///< [gold, prediction] of a corpus-aggregated metric: 1 when they agree, else 0
};

/// Metrics that lm-eval aggregates over the whole corpus (Matthews correlation, F1) and logs per
/// sample as [gold, prediction]: a sample has no score of its own, only right or wrong.
bool isGoldPredictionMetric(std::string_view metric);

/// The shape of a metric's list values.
ScoreShape scoreShapeOf(std::string_view metric);

/// Reads one number written as text, with the spellings Python uses for the non-finite values
/// in any case ("nan", "NaN", "inf", "-inf", "Infinity", "-Infinity"), and true/false as 1/0.
/// nullopt when the text is not a number.
std::optional<double> numberFromText(std::string_view text);

/// Turns the text of a score written as a string ("0.0", "true", "[-2528.1, 1093]", "N/A") into a
/// number. Returns nullopt for a missing value ("N/A", "", "null"); sets error for text that is
/// not a number. A list reads by its shape: averaged (Plain); a [loglikelihood, weight] corpus item
/// (CorpusItem), whose first number is the score and second goes to *weight when weight is given;
/// or [gold, prediction] (GoldPrediction), 1 when they agree and 0 when not. A NaN anywhere in the
/// text makes the result NaN (the caller refuses it).
std::optional<double> scoreFromString(
    std::string_view text, ScoreShape shape, std::string& error, double* weight = nullptr);

/// What is wrong with a [gold, prediction] item of `values` numbers; empty when it has two.
std::string goldPredictionProblem(std::size_t values);

/// The message for a score that is NaN ("the acc score is NaN; ...").
std::string nanScoreMessage(std::string_view metric);

/// What is wrong with a corpus metric's item (lm-eval writes [log-likelihood, count] per document
/// for perplexities): `values` numbers read, the first two given. Empty when it is usable: two
/// values, a log-likelihood of at most 0 and a positive, finite count.
std::string corpusItemProblem(std::size_t values, double logLikelihood, double count);

} // namespace deltascope::eval

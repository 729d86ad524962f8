// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/ScoreValue.h"

#include "common/TextUtil.h"

#include <cmath>
#include <limits>
#include <sstream>

namespace deltascope::eval {

namespace {

bool equalsNoCase(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
        if (x != b[i])
            return false;
    }
    return true;
}

// Python's spellings of NaN and the infinities, any case and sign; nullopt for anything else.
std::optional<double> nonFiniteFromText(std::string_view text)
{
    bool negative = false;
    if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
        negative = text.front() == '-';
        text.remove_prefix(1);
    }
    if (equalsNoCase(text, "nan"))
        return std::numeric_limits<double>::quiet_NaN();
    if (equalsNoCase(text, "inf") || equalsNoCase(text, "infinity"))
        return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return std::nullopt;
}

} // namespace

bool isLogLikelihoodMetric(std::string_view metric)
{
    return metric == "word_perplexity" || metric == "byte_perplexity" || metric == "bits_per_byte"
        || metric == "perplexity";
}

bool isGoldPredictionMetric(std::string_view metric)
{
    return metric == "mcc" || metric == "f1";
}

ScoreShape scoreShapeOf(std::string_view metric)
{
    if (isLogLikelihoodMetric(metric))
        return ScoreShape::CorpusItem;
    if (isGoldPredictionMetric(metric))
        return ScoreShape::GoldPrediction;
    return ScoreShape::Plain;
}

std::string goldPredictionProblem(std::size_t values)
{
    if (values == 2)
        return {};
    return "expected [gold, prediction] (a corpus-level metric's item), got " + std::to_string(values) + " value"
        + (values == 1 ? "" : "s");
}

std::optional<double> numberFromText(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
        text.remove_suffix(1);
    // Plain numbers first: the usual case costs one comparison more than parseDouble alone.
    if (const auto v = parseDouble(text))
        return v;
    return nonFiniteFromText(text);
}

std::optional<double> scoreFromString(std::string_view text, ScoreShape shape, std::string& error, double* weight)
{
    while (!text.empty() && text.front() == ' ')
        text.remove_prefix(1);
    if (text.empty() || text == "N/A" || text == "null" || text == "None")
        return std::nullopt;
    if (text.front() != '[') {
        const auto v = numberFromText(text);
        if (!v)
            error = "score \"" + std::string(text) + "\" is not a number";
        return v;
    }
    // A list written as a string: "[ll, weight]" or a list of per-instance values (averaged).
    std::string_view rest = text.substr(1);
    const auto close = rest.rfind(']');
    if (close == std::string_view::npos) {
        error = "unterminated list in score \"" + std::string(text) + "\"";
        return std::nullopt;
    }
    rest = rest.substr(0, close);
    double first = 0;
    double second = 0;
    double sum = 0;
    std::size_t count = 0;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const auto v = numberFromText(rest.substr(0, comma));
        if (!v) {
            error = "score \"" + std::string(text) + "\" is not a list of numbers";
            return std::nullopt;
        }
        if (count == 0)
            first = *v;
        else if (count == 1)
            second = *v;
        sum += *v;
        ++count;
        if (comma == std::string_view::npos)
            break;
        rest.remove_prefix(comma + 1);
    }
    if (count == 0)
        return std::nullopt;
    if (shape == ScoreShape::Plain)
        return sum / static_cast<double>(count);
    if (shape == ScoreShape::GoldPrediction) {
        if (auto why = goldPredictionProblem(count); !why.empty()) {
            error = why;
            return std::nullopt;
        }
        if (std::isnan(first) || std::isnan(second))
            return std::numeric_limits<double>::quiet_NaN();
        return first == second ? 1.0 : 0.0;
    }
    if (auto why = corpusItemProblem(count, first, second); !why.empty()) {
        error = why;
        return std::nullopt;
    }
    if (weight && count > 1)
        *weight = second;
    if (std::isnan(second))
        return std::numeric_limits<double>::quiet_NaN();
    return first;
}

namespace {

std::string numberText(double v)
{
    std::ostringstream out;
    out << v;
    return out.str();
}

} // namespace

std::string corpusItemProblem(std::size_t values, double logLikelihood, double count)
{
    if (values != 2)
        return "a corpus metric's value must be [log-likelihood, count], got " + std::to_string(values) + " number"
            + (values == 1 ? "" : "s");
    if (std::isnan(logLikelihood) || std::isnan(count))
        return {}; // a NaN is reported as such
    if (logLikelihood > 0)
        return "the log-likelihood of a corpus item must be at most 0, got " + numberText(logLikelihood);
    if (!(count > 0) || !std::isfinite(count))
        return "the count of a corpus item (words or bytes) must be positive, got " + numberText(count);
    return {};
}

std::string nanScoreMessage(std::string_view metric)
{
    const std::string what
        = metric.empty() || metric == "score" ? "the score" : "the " + std::string(metric) + " score";
    return what + " is NaN; fix the run or pass --skip-bad-lines to leave such samples out";
}

} // namespace deltascope::eval

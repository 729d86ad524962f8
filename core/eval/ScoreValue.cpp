#include "eval/ScoreValue.h"

#include "common/TextUtil.h"

#include <vector>

namespace deltascope::eval {

bool isLogLikelihoodMetric(std::string_view metric)
{
    return metric == "word_perplexity" || metric == "byte_perplexity" || metric == "bits_per_byte"
        || metric == "perplexity";
}

std::optional<double> scoreFromString(std::string_view text, bool logLikelihood, std::string& error)
{
    while (!text.empty() && text.front() == ' ')
        text.remove_prefix(1);
    if (text.empty() || text == "N/A" || text == "null" || text == "None")
        return std::nullopt;
    if (text.front() == '[') {
        // A list written as a string: "[ll, weight]" or a list of per-instance values.
        std::vector<double> items;
        std::string_view rest = text.substr(1);
        const auto close = rest.rfind(']');
        if (close == std::string_view::npos) {
            error = "unterminated list in score \"" + std::string(text) + "\"";
            return std::nullopt;
        }
        rest = rest.substr(0, close);
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            const auto item = rest.substr(0, comma);
            const auto v = parseDouble(item);
            if (!v) {
                error = "score \"" + std::string(text) + "\" is not a list of numbers";
                return std::nullopt;
            }
            items.push_back(*v);
            if (comma == std::string_view::npos)
                break;
            rest.remove_prefix(comma + 1);
        }
        if (items.empty())
            return std::nullopt;
        if (logLikelihood)
            return items.front();
        double sum = 0;
        for (const double v : items)
            sum += v;
        return sum / static_cast<double>(items.size());
    }
    const auto v = parseDouble(text);
    if (!v)
        error = "score \"" + std::string(text) + "\" is not a number";
    return v;
}

} // namespace deltascope::eval

// SPDX-License-Identifier: GPL-3.0-or-later
#include "analysis/IdList.h"

#include <charconv>

namespace deltascope::analysis {

namespace {

std::string_view trimmed(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

bool readId(std::string_view s, std::int64_t& out)
{
    s = trimmed(s);
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc() && p == s.data() + s.size() && out >= 0 && out <= INT32_MAX;
}

} // namespace

bool parseIdList(std::string_view text, std::vector<std::int32_t>& out, std::string& why)
{
    out.clear();
    constexpr std::int64_t kMaxRange = 10'000'000;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const auto comma = text.find(',', pos);
        const auto item
            = trimmed(text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
        pos = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
        if (item.empty())
            continue;
        // A dash after the first character separates a range (a leading one would be a sign).
        const auto dash = item.find('-', 1);
        std::int64_t lo = 0;
        std::int64_t hi = 0;
        const bool ok = dash == std::string_view::npos
            ? readId(item, lo) && (hi = lo, true)
            : readId(item.substr(0, dash), lo) && readId(item.substr(dash + 1), hi);
        if (!ok || hi < lo || hi - lo >= kMaxRange) {
            why = "\"" + std::string(item) + "\" is not an id or a range such as 0-9";
            out.clear();
            return false;
        }
        for (std::int64_t id = lo; id <= hi; ++id)
            out.push_back(static_cast<std::int32_t>(id));
    }
    return true;
}

std::string formatIdList(const std::vector<std::int32_t>& ids)
{
    std::string out;
    for (std::size_t i = 0; i < ids.size();) {
        std::size_t j = i;
        while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1)
            ++j;
        if (!out.empty())
            out += ", ";
        out += std::to_string(ids[i]);
        if (j > i)
            out += "-" + std::to_string(ids[j]);
        i = j + 1;
    }
    return out;
}

} // namespace deltascope::analysis

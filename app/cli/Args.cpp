#include "Args.h"

#include <algorithm>
#include <charconv>

namespace deltascope::cli {

Args::Args(const std::vector<std::string>& argv, const std::vector<std::string>& flags)
{
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a == "--") {
            m_positionals.insert(m_positionals.end(), argv.begin() + static_cast<std::ptrdiff_t>(i) + 1, argv.end());
            break;
        }
        if (a.size() > 2 && a.starts_with("--")) {
            const auto eq = a.find('=');
            const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
            if (eq != std::string::npos) {
                m_options.emplace(name, a.substr(eq + 1));
            } else if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
                m_options.emplace(name, "");
            } else if (i + 1 < argv.size()) {
                m_options.emplace(name, argv[++i]);
            } else {
                m_error = "option --" + name + " needs a value";
            }
        } else {
            m_positionals.push_back(a);
        }
    }
}

bool Args::has(const std::string& name) const
{
    return m_options.count(name) != 0;
}

std::optional<std::string> Args::value(const std::string& name) const
{
    const auto range = m_options.equal_range(name);
    if (range.first == range.second)
        return std::nullopt;
    return std::prev(range.second)->second; // the last one wins
}

std::vector<std::string> Args::values(const std::string& name) const
{
    std::vector<std::string> out;
    const auto range = m_options.equal_range(name);
    for (auto it = range.first; it != range.second; ++it)
        out.push_back(it->second);
    return out;
}

std::vector<std::string> Args::unknown(const std::vector<std::string>& known) const
{
    std::vector<std::string> out;
    for (const auto& [name, v] : m_options)
        if (std::find(known.begin(), known.end(), name) == known.end())
            out.push_back("--" + name);
    return out;
}

std::optional<double> toNumber(const std::string& name, const std::string& text, std::string& error)
{
    double v = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size()) {
        error = "--" + name + " expects a number, got \"" + text + "\"";
        return std::nullopt;
    }
    return v;
}

std::optional<long long> toInteger(const std::string& name, const std::string& text, std::string& error)
{
    long long v = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size()) {
        error = "--" + name + " expects an integer, got \"" + text + "\"";
        return std::nullopt;
    }
    return v;
}

} // namespace deltascope::cli

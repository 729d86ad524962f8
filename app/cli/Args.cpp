// SPDX-License-Identifier: GPL-3.0-or-later
#include "Args.h"

#include "common/AtomicFile.h"

#include <algorithm>
#include <charconv>
#include <filesystem>

namespace deltascope::cli {

Args::Args(
    const std::vector<std::string>& argv, const std::vector<std::string>& flags, const std::vector<std::string>& valued)
{
    auto known = [](const std::vector<std::string>& list, const std::string& name) {
        return std::find(list.begin(), list.end(), name) != list.end();
    };
    auto problem = [this](std::string message) {
        if (m_error.empty())
            m_error = std::move(message);
    };
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a == "--") {
            m_positionals.insert(m_positionals.end(), argv.begin() + static_cast<std::ptrdiff_t>(i) + 1, argv.end());
            break;
        }
        if (a.size() <= 2 || !a.starts_with("--")) {
            m_positionals.push_back(a);
            continue;
        }
        const auto eq = a.find('=');
        const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
        const bool isFlag = known(flags, name);
        if (!isFlag && !known(valued, name)) {
            problem("unknown option --" + name);
        } else if (eq != std::string::npos) {
            if (isFlag)
                problem("option --" + name + " takes no value");
            m_options.emplace(name, a.substr(eq + 1));
        } else if (isFlag) {
            m_options.emplace(name, "");
        } else if (i + 1 < argv.size()) {
            m_options.emplace(name, argv[++i]);
        } else {
            problem("option --" + name + " needs a value");
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

std::string Args::outputIsAnInput() const
{
    const auto output = value("output");
    if (!output || output->empty())
        return {};
    std::vector<std::string> inputs = m_positionals;
    for (const auto& [name, v] : m_options)
        if (name != "output")
            inputs.push_back(v);
    return overwritesInput(*output, inputs, "--output");
}

} // namespace deltascope::cli

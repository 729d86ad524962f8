// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace deltascope::cli {

/// A small command-line reader: positionals, --name value, --name=value and flags. Every option
/// must be one of the command's: the first one that is not makes error() "unknown option --X",
/// wherever it stands (an unknown option never takes the next word as its value).
class Args {
public:
    /// flags: options that take no value; valued: options that take one.
    Args(const std::vector<std::string>& argv, const std::vector<std::string>& flags,
        const std::vector<std::string>& valued);

    const std::vector<std::string>& positionals() const { return m_positionals; }
    bool has(const std::string& name) const;
    std::optional<std::string> value(const std::string& name) const;
    std::vector<std::string> values(const std::string& name) const;
    /// The first problem: an unknown option, a missing value or a value given to a flag; empty
    /// when the line is well formed.
    const std::string& error() const { return m_error; }
    /// When --output names the same file as a positional input or any option's value (a trace,
    /// a cost table, a keep-list...): the message refusing it. Empty otherwise.
    std::string outputIsAnInput() const;

private:
    std::vector<std::string> m_positionals;
    std::multimap<std::string, std::string> m_options;
    std::string m_error;
};

/// Parses a number option; on failure fills error.
std::optional<double> toNumber(const std::string& name, const std::string& text, std::string& error);
std::optional<long long> toInteger(const std::string& name, const std::string& text, std::string& error);

/// Reads --name into out when given; false (with error filled) when it is not an integer in [lo, hi].
template <typename T>
bool readInteger(const Args& args, const std::string& name, T& out, long long lo, long long hi, std::string& error)
{
    const auto v = args.value(name);
    if (!v)
        return true;
    const auto x = toInteger(name, *v, error);
    if (!x || *x < lo || *x > hi) {
        if (error.empty())
            error = "--" + name + " must be between " + std::to_string(lo) + " and " + std::to_string(hi);
        return false;
    }
    out = static_cast<T>(*x);
    return true;
}

} // namespace deltascope::cli

// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/EvalRun.h"

namespace deltascope::eval {

std::size_t EvalRun::sampleCount() const
{
    std::size_t n = 0;
    for (const auto& t : tasks)
        n += t.samples.size();
    return n;
}

std::string noRequestedTask(const std::vector<std::string>& requested, const std::string& in, const std::string& has)
{
    std::string names;
    for (const auto& t : requested)
        names += (names.empty() ? "" : ", ") + t;
    std::string out = requested.size() == 1 ? "task " + names + " is not in " + in
                                            : "none of the requested tasks (" + names + ") is in " + in;
    if (!has.empty())
        out += " (it has: " + has + ")";
    return out;
}

} // namespace deltascope::eval

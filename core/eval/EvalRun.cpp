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

} // namespace deltascope::eval

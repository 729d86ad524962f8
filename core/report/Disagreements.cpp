// SPDX-License-Identifier: GPL-3.0-or-later
#include "report/Disagreements.h"

namespace deltascope::report {

std::vector<Disagreement> listDisagreements(const eval::PairedRuns& paired, bool all)
{
    std::vector<Disagreement> out;
    for (std::size_t t = 0; t < paired.tasks.size(); ++t) {
        const auto& pt = paired.tasks[t];
        for (std::size_t i = 0; i < pt.base.size(); ++i) {
            const double d = pt.difference(i);
            if (!all && d == 0.0)
                continue;
            out.push_back({ static_cast<std::uint32_t>(t), static_cast<std::uint32_t>(i), pt.base[i], pt.cand[i], d,
                d > 0 ? 1 : (d < 0 ? -1 : 0) });
        }
    }
    return out;
}

} // namespace deltascope::report

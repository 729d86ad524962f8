#include "stats/Shrink.h"

namespace deltascope::stats {

namespace {

// Mean over rerun pairs of the fraction of samples (among `which`) that disagree.
double pairwiseDisagreement(const RerunTask& t, const std::vector<std::size_t>& which)
{
    const std::size_t runs = t.scores.size();
    if (runs < 2 || which.empty())
        return 0.0;
    double sum = 0.0;
    std::size_t pairs = 0;
    for (std::size_t a = 0; a < runs; ++a) {
        for (std::size_t b = a + 1; b < runs; ++b) {
            std::size_t differ = 0;
            for (const std::size_t i : which)
                differ += t.scores[a][i] != t.scores[b][i] ? 1 : 0;
            sum += static_cast<double>(differ) / static_cast<double>(which.size());
            ++pairs;
        }
    }
    return sum / static_cast<double>(pairs);
}

} // namespace

ShrinkResult shrink(const std::vector<RerunTask>& tasks)
{
    ShrinkResult r;
    double flipsAll = 0.0;
    double flipsKept = 0.0;
    for (const auto& t : tasks) {
        ShrinkTaskResult tr;
        tr.task = t.task;
        tr.filter = t.filter;
        tr.total = static_cast<std::int64_t>(t.ids.size());
        std::vector<std::size_t> all;
        std::vector<std::size_t> kept;
        all.reserve(t.ids.size());
        for (std::size_t i = 0; i < t.ids.size(); ++i) {
            all.push_back(i);
            bool changes = false;
            for (std::size_t run = 1; run < t.scores.size() && !changes; ++run)
                changes = t.scores[run][i] != t.scores[0][i];
            if (changes) {
                kept.push_back(i);
                tr.keep.push_back(t.ids[i]);
            }
        }
        tr.flipRate = pairwiseDisagreement(t, all);
        tr.keptFlipRate = pairwiseDisagreement(t, kept);
        r.total += tr.total;
        r.kept += static_cast<std::int64_t>(kept.size());
        flipsAll += tr.flipRate * static_cast<double>(all.size());
        flipsKept += tr.keptFlipRate * static_cast<double>(kept.size());
        r.tasks.push_back(std::move(tr));
    }
    if (r.total > 0) {
        r.costSaved = 1.0 - static_cast<double>(r.kept) / static_cast<double>(r.total);
        r.flipRate = flipsAll / static_cast<double>(r.total);
    }
    if (r.kept > 0)
        r.keptFlipRate = flipsKept / static_cast<double>(r.kept);
    return r;
}

} // namespace deltascope::stats

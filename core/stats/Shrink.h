#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace deltascope::stats {

/// Scores of one task's samples over several reruns of the same (baseline) model.
struct RerunTask {
    std::string task;
    std::string filter;
    std::vector<std::string> ids; ///< samples present in every rerun
    std::vector<std::vector<double>> scores; ///< [rerun][sample]
};

struct ShrinkTaskResult {
    std::string task;
    std::string filter;
    std::vector<std::string> keep; ///< samples whose score changed between reruns
    std::int64_t total = 0;
    double flipRate = 0.0; ///< mean pairwise disagreement between reruns, all samples
    double keptFlipRate = 0.0; ///< the same on the kept samples
};

struct ShrinkResult {
    std::vector<ShrinkTaskResult> tasks;
    std::int64_t total = 0;
    std::int64_t kept = 0;
    double costSaved = 0.0; ///< 1 - kept / total
    double flipRate = 0.0;
    double keptFlipRate = 0.0;
};

/// Samples whose score never changes across reruns carry no signal for a paired test; keep the
/// others. Requires at least two reruns per task.
ShrinkResult shrink(const std::vector<RerunTask>& tasks);

} // namespace deltascope::stats

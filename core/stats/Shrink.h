// SPDX-License-Identifier: GPL-3.0-or-later
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

/// How `shrink` also keeps a share of the samples it excludes, so that a comparison can test them:
/// a keep-list chosen on the baseline cannot see a candidate that breaks answers the baseline always
/// gets right.
struct ShrinkOptions {
    double auditFraction = 0.0; ///< in [0, 1]: the share of the excluded samples kept for the audit
    std::uint64_t seed = 0;
};

struct ShrinkTaskResult {
    std::string task;
    std::string filter;
    std::vector<std::string> keep; ///< samples whose score changed between reruns
    std::vector<std::string> audit; ///< excluded samples picked for the audit (ShrinkOptions::auditFraction)
    std::int64_t total = 0;
    double flipRate = 0.0; ///< mean pairwise disagreement between reruns, all samples
    double keptFlipRate = 0.0; ///< the same on the kept samples
};

struct ShrinkResult {
    std::vector<ShrinkTaskResult> tasks;
    std::int64_t total = 0;
    std::int64_t kept = 0; ///< samples kept for their signal
    std::int64_t audited = 0; ///< excluded samples kept for the audit
    double costSaved = 0.0; ///< 1 - (kept + audited) / total
    double flipRate = 0.0;
    double keptFlipRate = 0.0;
};

/// Samples whose score never changes across reruns carry no signal for a paired test; keep the
/// others, and the excluded samples auditPick() selects. Requires at least two reruns per task.
ShrinkResult shrink(const std::vector<RerunTask>& tasks, const ShrinkOptions& options = {});

/// A 64-bit hash of (seed, task, filter, doc_id), the same on every platform and whatever the order
/// of the records: each field is fed to FNV-1a 64 followed by its length as 8 little-endian bytes,
/// starting from the FNV offset basis xor splitmix64(seed), and the result goes through splitmix64's
/// finaliser. (tests/stats/shrink_audit_vectors.py is an independent implementation.)
std::uint64_t auditHash(
    std::uint64_t seed, const std::string& task, const std::string& filter, const std::string& docId);

/// Whether an excluded sample is kept for the audit: auditHash < fraction * 2^64 (every sample when
/// fraction >= 1, none when fraction <= 0).
bool auditPick(
    double fraction, std::uint64_t seed, const std::string& task, const std::string& filter, const std::string& docId);

} // namespace deltascope::stats

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "eval/Pairing.h"
#include "report/ComparisonReport.h"

#include <cstdint>
#include <string>
#include <vector>

// The parts of buildReport kept in their own files; not a public interface.
namespace deltascope::report::detail {

/// A number in three significant digits, for sentences.
std::string num(double v);

/// Each cluster's sum of q (cluster[i] the cluster of item i).
std::vector<std::int64_t> clusterSums(
    const std::vector<std::int64_t>& q, const std::vector<std::uint32_t>& cluster, std::size_t clusters);

/// A clustered task's key, clusters and design effect; widens its interval and bound.
void fillCluster(TaskResult& r, const eval::PairedTask& pt);

/// Each task's non-inferiority test against its margin; false with rep.failure on a bad margin.
bool testMargins(ComparisonReport& rep, const eval::PairedRuns& paired, const CompareSettings& settings);

/// "degraded", "no_worse_than_margin", "inconclusive" or "no_evidence".
std::string verdictOf(const ComparisonReport& rep);

} // namespace deltascope::report::detail

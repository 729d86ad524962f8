// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "moe/Batching.h"
#include "moe/Trace.h"
#include "moe/XShare.h"
#include "moe/XShareRun.h"
#include "report/ReportWriters.h"

#include <string>

namespace deltascope::report {

/// What an expert-sharing run is written from: the trace, its batches, the policy with its
/// placement, the result, and where it ran. The pointers must outlive the call.
struct ExpertSharingRun {
    std::string tracePath;
    const moe::Trace* trace = nullptr;
    const moe::Batches* batches = nullptr;
    const moe::PolicyConfig* policy = nullptr;
    const moe::XShareResult* result = nullptr;
    std::string ranOn; ///< "CPU" or "GPU, <device>"
};

/// Machine-readable run: trace, batching, backend, policy, one entry per budget with its per-layer
/// metrics, and the slices when the result has them (stable keys, full double precision).
std::string xshareJson(const ExpertSharingRun& run);
/// One row per budget, for spreadsheets.
std::string xshareCsv(const ExpertSharingRun& run);
/// An aligned plain-text table for the terminal.
std::string xshareTable(const ExpertSharingRun& run);
/// Each slice of the first budget: layer, batch, tokens, activated experts (top-k, policy), kept
/// mass and the selected experts (space-separated, quoted).
std::string xshareSliceCsv(const moe::XShareResult& result);
/// The first budget's per-layer metrics: layer, budget, activated experts (top-k, policy), kept mass.
std::string xshareLayerCsv(const moe::XShareResult& result);
/// The headline, facts and per-layer table of the first budget, for toExpertHtml.
ExpertSummary expertSummary(const ExpertSharingRun& run);

} // namespace deltascope::report

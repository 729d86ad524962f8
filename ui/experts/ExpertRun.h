// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "analysis/ExpertSharing.h"
#include "backend/ComputeBackend.h"
#include "common/Diagnostic.h"
#include "moe/Batching.h"
#include "moe/Trace.h"
#include "moe/XShareRun.h"
#include "report/XShareWriters.h"

#include <QString>
#include <memory>

namespace deltascope::ui {

class JobControl;

/// What the user set: batching and policy; the budget is separate because it changes most.
/// Defaults: those of the analysis layer (analysis::ExpertScenario).
struct ExpertSettings {
    bool replay = true; ///< false: recorded steps (when the trace has them)
    int batchSize = analysis::kDefaultBatchSize;
    int gamma = analysis::ExpertScenario {}.gamma;
    moe::Policy policy = analysis::ExpertScenario {}.policy;
    int warmup = analysis::ExpertScenario {}.warmup;
    int devices = analysis::ExpertScenario {}.devices; ///< 0: kDefaultDevices, or N when the trace has fewer experts
    bool balanced = false; ///< balanced placement from the trace's own loads (else contiguous)
    QString placementFile; ///< a placement file (JSON or CSV, copies allowed); wins over balanced
    std::vector<std::int32_t> requests; ///< replay only these requests (empty: all)
    int requestExperts = analysis::ExpertScenario {}.requestExperts;
    int replicas = 0; ///< with balanced: extra copies of the heaviest experts
    QString placementCounts; ///< with balanced: expert loads from this counts file (else the trace's own)

    bool sameSweep(const ExpertSettings& o) const; ///< whether a computed sweep still applies
};

/// The analysis scenario these settings describe for a trace (every budget; no maps or slices).
analysis::ExpertScenario scenarioOf(
    const ExpertSettings& settings, std::shared_ptr<const moe::Trace> trace, const QString& path);

/// A loaded trace and what was computed on it. Immutable: each computation makes a new one that
/// shares the trace.
struct ExpertRun {
    QString path;
    std::shared_ptr<const moe::Trace> trace;
    ExpertSettings settings;
    int budget = 0;
    std::shared_ptr<const moe::Batches> batches;
    std::shared_ptr<const moe::PolicyConfig> policy; ///< policy with its placement, made once per configuration
    std::shared_ptr<const moe::XShareResult> sweep; ///< every budget k..N
    std::shared_ptr<const moe::XShareResult> current; ///< the budget, with its activation maps
    double seconds = 0.0; ///< time of the last computation
    QString backend; ///< where it ran ("CPU", or "GPU, <device>"): ranOn.label()
    backend::RanOn ranOn; ///< where the current budget ran
    backend::RanOn sweepRanOn; ///< where the sweep ran
    std::vector<Diagnostic> sweepWarnings; ///< the sweep's warnings, repeated at each budget step
    /// The current budget was read from the sweep's budget maps, without a pass over the trace: its
    /// per-slice records are computed when asked for (currentWithSlices).
    bool fromSweep = false;
};

using ExpertRunPtr = std::shared_ptr<const ExpertRun>;

/// Opens a trace in any supported format (progress through control).
Result<std::shared_ptr<const moe::Trace>> openTraceFile(const QString& path, JobControl* control);

/// Computes what the views show for these settings and budget, reusing `from`'s sweep and
/// batches when they still apply. Runs on `compute` (the CPU when null).
Result<ExpertRunPtr> computeExperts(const ExpertRunPtr& from, std::shared_ptr<const moe::Trace> trace,
    const QString& path, const ExpertSettings& settings, int budget, JobControl* control,
    const backend::ComputeBackend* compute = nullptr);

/// Number of distinct requests in a trace.
std::int64_t requestCount(const moe::Trace& trace);

/// The budgets the window's sweep computes up front: every budget from k to N, or for expert
/// parallelism (one whole run per budget) 25 of them spread over the range, with 2k and `budget`.
std::vector<int> sweepBudgets(moe::Policy policy, int topK, int experts, int budget);

/// The budget a newly opened trace starts at when the default one (`budget`) activates as many
/// experts as top-k on every slice (small batches: two requests of Mixtral's top-2 of 8 never
/// reach 4 experts): the smallest budget of the sweep that activates fewer and keeps at least 95%
/// of the gating mass, else the largest that activates fewer; `budget` when none does or the
/// default already activates fewer.
int usefulStartBudget(const moe::XShareResult& sweep, int budget);

/// Request ids from text such as "0-9, 20, 31-40"; false with a message for anything else
/// (analysis::parseIdList).
bool parseRequestList(const QString& text, std::vector<std::int32_t>& out, QString& why);

/// The current budget's result with its per-slice records (computed now, on the CPU, when the
/// budget was read from the sweep).
std::shared_ptr<const moe::XShareResult> currentWithSlices(const ExpertRun& run);

/// Each slice of the current budget as CSV: layer, batch, tokens, activated experts (top-k,
/// policy), kept mass and the selected experts (report::xshareSliceCsv).
QString sliceCsv(const ExpertRun& run);

/// What the report writers (report::xshareJson, xshareCsv, expertSummary) take: the current
/// budget, or with `sweep` every budget. Valid while `run` lives.
report::ExpertSharingRun reportView(const ExpertRun& run, bool sweep = false);

/// The demo trace: synthetic, expert popularity calibrated on OLMoE's real counts, seeded.
std::shared_ptr<const moe::Trace> demoTrace();

} // namespace deltascope::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "backend/ComputeBackend.h"
#include "common/Diagnostic.h"
#include "common/Progress.h"
#include "moe/Batching.h"
#include "moe/Trace.h"
#include "moe/TraceImport.h"
#include "moe/XShare.h"
#include "moe/XShareRun.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace deltascope::analysis {

/// Expert-parallel devices when the scenario does not say: a common expert-parallel degree, or one
/// device per expert when the trace has fewer than that.
inline constexpr int kDefaultDevices = 8;
/// Requests in flight per step when replaying (DESIGN 4.2).
inline constexpr int kDefaultBatchSize = 32;

/// How the slices' batches are formed (DESIGN 4.2).
enum class BatchMode {
    Auto, ///< the recorded steps when the trace has them and nothing asks for replay; replay otherwise
    Replay, ///< continuous batching of the requests
    Recorded, ///< the trace's recorded steps (replay when it has none, or when requests or gamma are chosen)
};

/// Which device holds each expert.
enum class PlacementKind {
    Contiguous, ///< expert e on device floor(e G / N)
    Balanced, ///< greedy balance of the experts' loads (the trace's own top-k loads, or a counts file)
    File, ///< a placement file (JSON or CSV; an expert may list several devices: its copies)
};

const char* toString(BatchMode mode);
const char* toString(PlacementKind kind);
bool parseBatchMode(const std::string& text, BatchMode& out); ///< auto | replay | recorded
bool parsePlacementKind(const std::string& text, PlacementKind& out); ///< contiguous | balanced | file

/// Everything that decides an expert-sharing run. The command line and the window fill this and
/// nothing else; the defaults here are the defaults of both.
struct ExpertScenario {
    // The trace: one already opened, or a path opened with the import options.
    std::string tracePath;
    std::shared_ptr<const moe::Trace> trace; ///< when set, tracePath only names it
    moe::TraceImportOptions import; ///< its progress callback is ignored
    std::int64_t topK = 0; ///< the model's k for formats that do not record it (.npy); 0: the file's

    // Batching.
    BatchMode batching = BatchMode::Auto;
    int batchSize = 0; ///< B for replay; 0: kDefaultBatchSize (and, in Auto, the recorded steps)
    int gamma = 0; ///< speculative length: 1 + gamma tokens per request and step
    std::vector<std::int32_t> requests; ///< replay only these requests (empty: all)

    // Policy.
    moe::Policy policy = moe::Policy::Batch;
    int warmup = 1; ///< each token's top-w experts first (0 disables)
    int requestExperts = 0; ///< experts each request keeps under the speculative policy (0: k)
    std::vector<int> budgets; ///< experts per slice, each in [k, N]; empty: every budget k..N

    // Expert parallelism.
    int devices = 0; ///< G; 0: kDefaultDevices, or N when the trace has fewer experts
    PlacementKind placement = PlacementKind::Contiguous;
    std::string placementFile; ///< for PlacementKind::File
    std::string placementCounts; ///< expert loads for Balanced (empty: the trace's own top-k loads)
    int replicas = 0; ///< extra copies of the heaviest experts, for Balanced

    // What to compute besides the per-budget metrics.
    bool perSlice = false; ///< every slice of the first budget
    bool maps = false; ///< activation maps of the first budget
    /// With several budgets of a nested policy: the activation maps of every budget from the same
    /// sweep, where the backend can (moe::XShareOptions::budgetMaps).
    bool budgetMaps = false;
    unsigned threads = 0; ///< CPU threads; 0: all
};

/// A scenario made concrete for one trace: the batches and the policy with its placement. A new
/// budget reuses it.
struct PreparedScenario {
    std::string tracePath;
    std::shared_ptr<const moe::Trace> trace;
    std::shared_ptr<const moe::Batches> batches;
    std::shared_ptr<const moe::PolicyConfig> policy;
    std::vector<int> budgets; ///< the scenario's budgets (every budget k..N when it named none)
};

/// An expert-sharing run's outcome.
struct ExpertSharingResult {
    ExpertScenario scenario; ///< as asked
    PreparedScenario prepared;
    std::shared_ptr<const moe::XShareResult> xshare;
    backend::RanOn ranOn; ///< where the selection ran
    std::vector<Diagnostic> warnings; ///< the trace's import warnings, then the backend's notes
    double seconds = 0.0; ///< time of the selection run
};

/// The batching the scenario asks for on this trace: the one place the replay rule is decided.
moe::BatchingOptions batchingFor(const ExpertScenario& scenario, const moe::Trace& trace);

/// The devices the scenario asks for on a trace with `experts` experts (the default resolved).
int devicesFor(const ExpertScenario& scenario, std::int64_t experts);

/// The policy the scenario asks for on this trace, its placement read (a placement file, or a
/// balance by a counts file or the trace's own loads). Fails on a placement or counts file that
/// does not read or does not fit the trace; the message names the file.
Result<moe::PolicyConfig> policyFor(const ExpertScenario& scenario, const moe::Trace& trace);

/// Opens the scenario's trace (or hands back the one it carries). Progress: the fraction read.
Result<std::shared_ptr<const moe::Trace>> openScenarioTrace(
    const ExpertScenario& scenario, const Progress& progress = {});

/// Checks the scenario against the trace and forms its batches and placement. Messages name the
/// setting ("batch size", "budget", "devices"), never a flag or a control.
Result<PreparedScenario> prepareScenario(const ExpertScenario& scenario, std::shared_ptr<const moe::Trace> trace);

/// Runs the prepared scenario at `budgets` (empty: the prepared ones) on `compute`.
Result<ExpertSharingResult> runPrepared(const ExpertScenario& scenario, const PreparedScenario& prepared,
    const std::vector<int>& budgets, const backend::ComputeBackend& compute, const Progress& progress = {});

/// The whole run: open, prepare, select. Progress: 0..0.1 opening, then the selection.
Result<ExpertSharingResult> runExpertSharing(
    const ExpertScenario& scenario, const backend::ComputeBackend& compute, const Progress& progress = {});

} // namespace deltascope::analysis

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deltascope::workspace {

/// An input named by a workspace, with what it looked like when the workspace was saved.
struct InputFile {
    std::string role; ///< "baseline", "candidate", "trace", "counts" or "placement"
    std::string path;
    std::int64_t size = -1; ///< bytes (a folder: the sum of its files); -1 when missing
    std::int64_t modified = 0; ///< newest modification time, nanoseconds since the epoch
};

struct SideState {
    std::string path;
    std::string format = "auto"; ///< auto | lm-eval | table | inspect | helm | simple-evals
    std::string runTimestamp; ///< the run picked in a folder of several
    std::string idColumn, scoreColumn, taskColumn, filterColumn; ///< score tables
    std::string promptColumn, responseColumn, targetColumn; ///< score tables: the texts the sample view shows
};

struct DegradationState {
    SideState base, cand;
    double alpha = 0.05;
    std::uint64_t permutations = 10000;
    std::uint64_t maxPermutations = 1000000; ///< the most the permutation test may extend to
    std::uint64_t seed = 0;
    bool runPermutation = false;
    /// Non-inferiority margins as the user writes them ("1", "wikitext=1%"); empty: none.
    std::vector<std::string> margins;
    std::string clusterKey; ///< the field naming each item's cluster (empty: items are independent)
    bool skipBadLines = false;
    std::string keepList; ///< compare only the samples this keep-list names (empty: all)
    std::vector<std::string> tasks; ///< compare only these tasks (empty: all)
    std::vector<std::string> metrics; ///< "TASK=METRIC" choices ("*=METRIC": every task not named)
    std::vector<std::string> filters; ///< compare only these filters (empty: all)
    std::vector<std::string> baseReruns, candReruns; ///< reruns averaged with each side's run
    std::string taskFilter; ///< the text typed in the task table's filter
    bool onlyWorse = false;
    std::string selectedTask;
    int plot = 0;
    std::string flipFilter;
    int direction = 0;
    bool allPairs = false;
    double powerLevel = 0.8;
    double targetDrop = 0.01;
};

struct ExpertState {
    std::string trace;
    std::string counts;
    bool replay = true;
    int batchSize = 32;
    int gamma = 0;
    std::string policy = "batch";
    int warmup = 1;
    int devices = 8; ///< 0: the analysis default (8, or N when the trace has fewer experts)
    bool balanced = false;
    int replicas = 0; ///< with balanced: extra copies of the heaviest experts
    std::string placementCounts; ///< with balanced: expert loads from this counts file
    std::string placementFile;
    std::string requests; ///< as typed, e.g. "0-9, 20"
    int requestExperts = 0;
    int budget = 0;
    int view = 0;
    int sliceLayer = 0;
    int sliceBatch = 0;
};

/// One candidate of the frontier workspace: a run, the name the user gave it, and optionally its
/// cost and its expert-sharing budget.
struct FrontierCandidateState {
    SideState side;
    std::string name;
    bool hasCost = false;
    double cost = 0.0;
    int budget = 0; ///< experts per slice; 0: none (read from the run's results, if it records one)
};

struct FrontierState {
    SideState base;
    std::vector<FrontierCandidateState> candidates;
    std::string costColumn = "bits_per_weight"; ///< what the candidates' costs measure
    std::vector<std::string> margins; ///< as the user writes them; empty: none
    double alpha = 0.05;
    bool alphaPerCandidate = false;
    std::string trace; ///< the router trace the budgets are swept on (empty: none)
    int batchSize = 0; ///< 0: the analysis default
    std::string selectedTask; ///< the task the frontier plot shows
    // The payoff estimate: a model (a preset's name and every field as edited) and a GPU.
    std::string model;
    std::vector<std::pair<std::string, double>> modelFields; ///< "layers", "hidden_size", ... (Payoff.h)
    std::string gpu;
    double bandwidthGBs = 0.0; ///< 0: the GPU preset's
    int devices = 1;
};

/// Everything the workspaces of the window need to come back as they were: a `.deltascope`
/// file (JSON, version 1).
struct Workspace {
    int version = 1;
    std::string front = "degradation"; ///< the workspace in front: degradation | experts | frontier
    DegradationState degradation;
    ExpertState experts;
    FrontierState frontier;
    std::vector<InputFile> inputs;
};

/// The JSON text of a workspace.
std::string toJson(const Workspace& w);

/// Parses a workspace; errors name the file and line. Unknown keys are ignored (newer versions
/// may add some); values of the wrong type or out of range are errors.
Result<Workspace> parseWorkspace(std::string_view text, const std::string& path);

/// Reads and parses a workspace file (at most 64 MiB).
Result<Workspace> readWorkspace(const std::string& path);

/// Writes a workspace atomically; empty on success, else the reason.
std::string writeWorkspace(const std::string& path, const Workspace& w);

/// Describes an input as it is now (size -1 when it does not exist).
InputFile describeInput(const std::string& role, const std::string& path);

/// The inputs that differ from what the workspace recorded, one line each ("baseline
/// runs/base changed since the workspace was saved").
std::vector<std::string> changedInputs(const Workspace& w);

} // namespace deltascope::workspace

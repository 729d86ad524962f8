// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"
#include "eval/EvalRun.h"
#include "eval/SampleDetail.h"

#include <map>
#include <string>
#include <vector>

namespace deltascope::eval {

/// RunInfo::format of a HELM run.
inline constexpr const char* kHelmFormat = "HELM";

/// What run_spec.json says about a HELM run.
struct HelmRunSpec {
    std::string name; ///< "bbq:subject=all,method=multiple_choice_joint,model=meta_llama-3-8b"
    std::string model; ///< adapter_spec.model ("meta/llama-3-8b")
    /// The run name without its model and deployment arguments ("bbq:subject=all,method=...",
    /// "narrative_qa"): the same task on both sides of a comparison.
    std::string task;
    std::vector<std::string> metricNames; ///< the metrics its metric_specs name, in order
    bool fromFolder = false; ///< no run_spec.json: named after the run folder
};

/// How a HELM run is read.
struct HelmLoadOptions {
    /// task -> metric (LoadOptions::metrics; "*" for every task). Default: exact_match when the
    /// run has it, else the first metric its run_spec names that it has.
    std::map<std::string, std::string> metrics;
    std::vector<std::string> filters; ///< keep only these perturbations ("none": unperturbed)
    bool skipBadLines = false;
};

/// True for a HELM run folder: one that holds per_instance_stats.json (beside run_spec.json,
/// which copies of a run sometimes lose).
bool isHelmRunFolder(const std::string& dir);

/// The names of the files HELM writes into a run folder (per_instance_stats.json, run_spec.json, ...).
bool isHelmFileName(const std::string& name);

/// Reads run_spec.json of a run folder. Without one the run is named after its folder (HELM names
/// run folders after their runs: "mmlu:subject=anatomy,model=org_name"), with a warning.
Result<HelmRunSpec> readHelmRunSpec(const std::string& dir);

/// Loads a HELM run folder: one task (the run), per-instance scores of the chosen metric from
/// per_instance_stats.json, paired on (instance_id, train_trial_index); a perturbation is a filter.
/// A metric the run lacks is an error that lists the metrics it has.
Result<EvalRun> loadHelmRun(const std::string& dir, const HelmLoadOptions& options);

/// The per-instance metrics of a HELM run folder (the stat names of per_instance_stats.json).
Result<std::vector<std::string>> helmMetrics(const std::string& dir);

/// The texts of one instance: prompt, references and completion from scenario_state.json, the
/// displayed prediction from display_predictions.json (when present), and its stats.
Result<SampleDetail> readHelmSampleDetail(const EvalRun& run, const SampleRecord& record);

} // namespace deltascope::eval

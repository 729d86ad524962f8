// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Folders whose several runs form one run (a HELM suite of one model, one model's Inspect logs of
// several tasks): what loadRun merges. Internal to core/eval.
#include "common/Diagnostic.h"
#include "eval/EvalRun.h"
#include "eval/RunDiscovery.h"
#include "eval/RunLoader.h"

#include <optional>
#include <string>
#include <vector>

namespace deltascope::eval::detail {

/// A HELM run folder or a simple-evals file, with the filter selection applied (RunLoader.cpp).
Result<EvalRun> loadOtherFormat(const std::string& format, const std::string& where, const LoadOptions& options);

/// A folder of HELM runs of one model: every run a task of one run. Nothing when the folder holds
/// anything else, runs of several models, or a run was chosen.
std::optional<Result<EvalRun>> loadHelmSuite(
    const std::vector<RunCandidate>& runs, const std::string& path, const LoadOptions& options);

/// A folder of one model's Inspect logs of several tasks: one task per log. Nothing otherwise.
std::optional<Result<EvalRun>> loadInspectSuite(
    const std::vector<RunCandidate>& runs, const std::string& path, const LoadOptions& options);

} // namespace deltascope::eval::detail

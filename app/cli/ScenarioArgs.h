// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "Args.h"
#include "analysis/ExpertSharing.h"

#include <string>
#include <vector>

namespace deltascope::cli {

/// The batching, policy, budget and placement options of an expert-sharing scenario (xshare and
/// the commands that sweep a trace the same way), valued ones first, then flags.
extern const std::vector<std::string> kScenarioValued;

/// Fills the scenario's batching, policy, budgets and placement from the flags (the trace path and
/// import options are the caller's); false with a message on a malformed value.
bool readScenarioOptions(const Args& args, analysis::ExpertScenario& s, std::string& error);

/// --budget M or --budgets all|M1,M2,...: nothing added for "all" (the scenario's default).
bool readBudgets(const Args& args, std::vector<int>& budgets, std::string& error);

} // namespace deltascope::cli

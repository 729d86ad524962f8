// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "Args.h"
#include "analysis/ExpertSharing.h"

#include <string>
#include <vector>

namespace deltascope::cli {

/// The batching, policy and placement options of an expert-sharing scenario (xshare and the
/// commands that sweep a trace the same way: payoff, frontier) that take a value.
extern const std::vector<std::string> kScenarioValued;
/// --budget and --budgets of xshare and payoff (frontier's --budget names a candidate's budget).
extern const std::vector<std::string> kBudgetValued;

/// Fills the scenario's batching, policy and placement from the flags (the trace path, the import
/// options and the budgets are the caller's); false with a message on a malformed value.
bool readScenarioOptions(const Args& args, analysis::ExpertScenario& s, std::string& error);

/// --budget M or --budgets all|M1,M2,...: nothing added for "all" (the scenario's default).
bool readBudgets(const Args& args, std::vector<int>& budgets, std::string& error);

} // namespace deltascope::cli

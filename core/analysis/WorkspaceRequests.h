// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "analysis/Comparison.h"
#include "analysis/ExpertSharing.h"
#include "common/Workspace.h"

namespace deltascope::analysis {

/// The comparison a saved degradation workspace describes: its inputs with their load options and
/// its statistics. Fails on a format the loaders do not know.
Result<ComparisonRequest> comparisonFromWorkspace(const workspace::DegradationState& state);

/// Writes a comparison request's inputs and statistics into a workspace state; the view settings
/// it holds (filters, selection, plot) are left as they are.
void storeComparison(const ComparisonRequest& request, workspace::DegradationState& state);

/// The expert-sharing scenario a saved expert workspace describes (every budget; the workspace's
/// own budget is the view's). Fails on an unknown policy or a malformed request list.
Result<ExpertScenario> scenarioFromWorkspace(const workspace::ExpertState& state);

/// Writes a scenario's trace, batching, policy and placement into a workspace state.
void storeScenario(const ExpertScenario& scenario, workspace::ExpertState& state);

} // namespace deltascope::analysis

#pragma once

#include "moe/XShareRun.h"

#include <QString>
#include <vector>

namespace deltascope::ui {

class PlotView;

/// A layer x expert map (values in [lo, hi]) with its colour scale; diverging for differences.
void drawLayerExpertMap(PlotView* plot, const std::vector<double>& values, int layers, int experts,
    const std::vector<int>& layerIds, const QString& scaleLabel, double lo, double hi, bool diverging);
/// Activated experts per slice and gating mass kept against the budget, the budget marked.
void drawBudgetSweep(PlotView* plot, const moe::XShareResult& sweep, int budget);
/// Activated experts per slice, layer by layer, top-k next to the policy.
void drawPerLayer(PlotView* plot, const moe::BudgetResult& r);
/// Activated experts per device (mean per slice), top-k next to the policy.
void drawDevices(PlotView* plot, const moe::ActivationMaps& maps);

} // namespace deltascope::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "moe/TraceViews.h"
#include "moe/XShareRun.h"

#include <QString>
#include <vector>

namespace deltascope::ui {

class PlotView;

/// A matrix [rows][columns] as a colour map in [lo, hi] with its scale; diverging for differences.
struct MatrixView {
    QString xLabel;
    QString yLabel;
    QString scaleLabel;
    double lo = 0.0;
    double hi = 1.0;
    bool diverging = false;
    std::vector<int> rowIds; ///< names of the rows in hover text (layer ids); empty: the index
    bool reversedRows = false; ///< first row on top (tokens)
};
void drawMatrix(PlotView* plot, const std::vector<double>& values, int rows, int columns, const MatrixView& view);
/// A layer x expert map (values in [lo, hi]).
void drawLayerExpertMap(PlotView* plot, const std::vector<double>& values, int layers, int experts,
    const std::vector<int>& layerIds, const QString& scaleLabel, double lo, double hi, bool diverging);
/// One slice: the tokens' scores, the selected experts (ticks above), each token's baseline
/// (rings) and re-routed (dots) experts.
void drawSlice(PlotView* plot, const moe::SliceDetail& slice);
/// Activated experts per slice against the batch size, with the uniform-routing expectation, the
/// trace's recorded batches as a point of their own, and the batching in effect marked: replay
/// with `batchSize` requests (of `chosen` requests picked to replay, 0: all), or the recorded
/// batches (replay false).
void drawBatchSizes(PlotView* plot, const moe::BatchSizeCurve& curve, bool replay, int batchSize, int chosen = 0);
/// Activated experts per slice and gating mass kept against the budget, the budget marked.
void drawBudgetSweep(PlotView* plot, const moe::XShareResult& sweep, int budget);
/// Activated experts per slice, layer by layer, top-k next to the policy.
void drawPerLayer(PlotView* plot, const moe::BudgetResult& r);
/// Each device's mean activated experts per slice, top-k beside the policy at `budget` (named in
/// the legend, as the per-layer plot does; 0: not named).
void drawDevices(PlotView* plot, const moe::ActivationMaps& maps, int budget = 0);

} // namespace deltascope::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "experts/ExpertRun.h"

#include <QWidget>
#include <vector>

class QTableView;

namespace deltascope::ui {

class LayerTableModel;
class PlotView;

/// The top of the colour scale both activation maps share, so that they compare: a trace whose
/// experts are rarely active (small batches, many experts) still shows its contrast.
double fractionScaleTop(const std::vector<double>& base, const std::vector<double>& policy);

/// The "Activation heatmaps" tab: top-k, the policy and their difference as layer x expert maps,
/// beside the per-layer table of the current budget.
class ExpertMapsView : public QWidget {
    Q_OBJECT
public:
    explicit ExpertMapsView(QWidget* parent = nullptr);

    void setRun(const ExpertRunPtr& run);
    PlotView* topK() const { return m_base; }
    PlotView* policy() const { return m_policy; }
    PlotView* difference() const { return m_diff; }

private:
    PlotView* m_base;
    PlotView* m_policy;
    PlotView* m_diff;
    LayerTableModel* m_model;
    QTableView* m_table;
    /// The trace last drawn (weak: a trace opened after it was freed is never taken for it); a new
    /// budget of the same trace keeps the zoom.
    std::weak_ptr<const moe::Trace> m_shownTrace;
};

} // namespace deltascope::ui

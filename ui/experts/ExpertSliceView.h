// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "experts/ExpertRun.h"

#include <QWidget>

class QLabel;
class QSpinBox;

namespace deltascope::ui {

class LayerSpinBox;
class PlotView;

/// The "One slice" tab: one layer of one batch, tokens x experts, with what the policy selected.
class ExpertSliceView : public QWidget {
    Q_OBJECT
public:
    explicit ExpertSliceView(QWidget* parent = nullptr);

    void setRun(const ExpertRunPtr& run);
    /// Chooses the slice (kept within the run's ranges once one is shown).
    void setSlice(int layer, int batch);
    int layer() const; ///< the trace's layer index (0 .. layers - 1)
    QString layerText() const; ///< the layer as shown: the model's layer number when the trace names it
    int batch() const;
    PlotView* plot() const { return m_plot; }

private:
    void redraw();

    ExpertRunPtr m_run;
    PlotView* m_plot;
    LayerSpinBox* m_layer; ///< the trace's layer index, shown as the model's layer number
    QSpinBox* m_batch;
    QLabel* m_info;
};

} // namespace deltascope::ui

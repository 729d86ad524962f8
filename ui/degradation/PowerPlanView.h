// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "degradation/Comparison.h"

#include <QWidget>

class QDoubleSpinBox;
class QLabel;

namespace deltascope::ui {

class PlotView;

/// The "Power planner" tab: the drop the binary tasks can detect now, and the pairs a chosen
/// drop would need, at a chosen power.
class PowerPlanView : public QWidget {
    Q_OBJECT
public:
    explicit PowerPlanView(QWidget* parent = nullptr);

    void setComparison(ComparisonPtr c);
    PlotView* plot() const { return m_plot; }
    QString answer() const;
    /// Whether the comparison has a binary task to plan for (the planner works on flip rates).
    bool applies() const { return m_applies; }

    double power() const;
    double targetDrop() const; ///< a fraction (0.01 = one point)
    void setPlan(double power, double targetDrop);

    /// Pairs for `power` in the no-worse-than-the-margin test of a binary task when the true drop is
    /// 0: n = (z_{1-alpha} + z_power)^2 f / margin^2, with f the flip rate and margin a fraction
    /// (the normal approximation of Tango's test at drop 0). 0 without flips or margin.
    static std::int64_t nonInferiorityPairs(double flipRate, double margin, double alpha, double power);

private:
    bool m_applies = false;
    void redraw();
    QString marginAnswer(double flipRate, std::int64_t n) const; ///< the sentence with a margin set

    ComparisonPtr m_comparison;
    PlotView* m_plot;
    QDoubleSpinBox* m_power;
    QDoubleSpinBox* m_target;
    QLabel* m_answer;
};

} // namespace deltascope::ui

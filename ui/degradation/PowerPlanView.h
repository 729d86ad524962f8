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

    double power() const;
    double targetDrop() const; ///< a fraction (0.01 = one point)
    void setPlan(double power, double targetDrop);

private:
    void redraw();

    ComparisonPtr m_comparison;
    PlotView* m_plot;
    QDoubleSpinBox* m_power;
    QDoubleSpinBox* m_target;
    QLabel* m_answer;
};

} // namespace deltascope::ui

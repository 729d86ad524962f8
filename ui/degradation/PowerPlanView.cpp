// SPDX-License-Identifier: GPL-3.0-or-later
#include "degradation/PowerPlanView.h"

#include "common/Format.h"
#include "plot/DegradationPlots.h"
#include "plot/PlotView.h"
#include "stats/Aggregate.h"
#include "stats/Binomial.h"

#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>
#include <cmath>
#include <limits>

namespace deltascope::ui {

PowerPlanView::PowerPlanView(QWidget* parent)
    : QWidget(parent)
    , m_plot(new PlotView(this))
    , m_power(new QDoubleSpinBox(this))
    , m_target(new QDoubleSpinBox(this))
    , m_answer(new QLabel(this))
{
    m_power->setRange(0.5, 0.99);
    m_power->setSingleStep(0.05);
    m_power->setValue(0.8);
    m_target->setRange(0.05, 50);
    m_target->setDecimals(2);
    m_target->setSuffix(tr(" pts"));
    m_target->setValue(1.0);
    m_answer->setWordWrap(true);
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("power"), this));
    bar->addWidget(m_power);
    bar->addWidget(new QLabel(tr("drop to detect"), this));
    bar->addWidget(m_target);
    bar->addWidget(m_answer, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_plot, 1);
    connect(m_power, &QDoubleSpinBox::valueChanged, this, &PowerPlanView::redraw);
    connect(m_target, &QDoubleSpinBox::valueChanged, this, &PowerPlanView::redraw);
}

void PowerPlanView::setComparison(ComparisonPtr c)
{
    m_comparison = std::move(c);
    redraw();
}

QString PowerPlanView::answer() const
{
    return m_answer->text();
}

double PowerPlanView::power() const
{
    return m_power->value();
}

double PowerPlanView::targetDrop() const
{
    return m_target->value() / 100.0;
}

void PowerPlanView::setPlan(double power, double targetDrop)
{
    m_power->setValue(power);
    m_target->setValue(100.0 * targetDrop);
}

std::int64_t PowerPlanView::nonInferiorityPairs(double flipRate, double margin, double alpha, double power)
{
    if (!(flipRate > 0.0) || !(margin > 0.0))
        return 0;
    const double z = stats::normalQuantile(1.0 - alpha) + stats::normalQuantile(power);
    const double n = std::ceil(z * z * flipRate / (margin * margin));
    return n >= 9.0e18 ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(n);
}

QString PowerPlanView::marginAnswer(double flipRate, std::int64_t n) const
{
    // The smallest margin of a binary task: the most demanding claim.
    double margin = 0.0;
    for (const auto& t : m_comparison->report.tasks)
        if (t.hasMargin && !t.continuous && t.n > 0 && (margin == 0.0 || t.margin < margin))
            margin = t.margin;
    if (margin <= 0.0)
        return {};
    // Intersection-union: every task is tested at alpha itself, no correction.
    const double alpha = m_comparison->report.alpha;
    const std::int64_t need = nonInferiorityPairs(flipRate, margin, alpha, m_power->value());
    return tr(" No worse than a margin of %1: with no true drop, n = (z_{1-alpha} + z_{power})² f / margin² = %2 "
              "pairs at the flip rate f = %3, alpha = %4 and power %5 (you have %6).")
        .arg(signedPoints(margin), QLocale().toString(qlonglong(need)), percent(flipRate),
            QString::number(alpha, 'g', 3), percent(m_power->value()), QLocale().toString(qlonglong(n)));
}

void PowerPlanView::redraw()
{
    m_applies = false;
    if (!m_comparison) {
        m_plot->reset();
        m_plot->replot();
        m_answer->clear();
        return;
    }
    PowerPlan plan;
    std::int64_t n = 0;
    std::int64_t flips = 0;
    int tested = 0;
    for (const auto& t : m_comparison->report.tasks) {
        tested += t.n > 0 ? 1 : 0;
        if (!t.continuous) {
            n += t.n;
            flips += t.b + t.c;
        }
    }
    plan.currentN = n;
    plan.flipRate = n > 0 ? static_cast<double>(flips) / static_cast<double>(n) : 0.0;
    // The level the decision uses: alpha/3 across several tasks, alpha for one.
    const double alpha = m_comparison->report.alpha;
    plan.alpha = stats::decisionLevel(alpha, tested);
    plan.power = m_power->value();
    plan.targetDrop = m_target->value() / 100.0;
    m_power->setEnabled(n > 0);
    m_target->setEnabled(n > 0);
    if (n == 0) {
        // No binary task, no flip rate: a curve would be drawn for a flip rate of zero.
        m_plot->showEmptyNote(tr("The power planner works on binary (right or wrong) tasks: their flip rate sets the "
                                 "samples a drop needs.\nThis comparison has none; for continuous scores, each task's "
                                 "upper bound says what drop its samples rule out."));
        m_plot->replot(QCustomPlot::rpQueuedReplot);
        m_answer->setText(tr("No binary task to plan for."));
        return;
    }
    m_applies = true;
    // A drop is at most the share of pairs that flip: a larger target has no sample size.
    const bool reachable = plan.targetDrop <= plan.flipRate;
    const double asked = plan.targetDrop;
    if (!reachable)
        plan.targetDrop = 0.0; // no target line
    drawPower(m_plot, plan);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    const auto pairs = [](std::int64_t count) {
        return count == 1 ? tr("1 pair") : tr("%1 pairs").arg(QLocale().toString(qlonglong(count)));
    };
    const QString level
        = (plan.alpha < alpha ? tr("alpha/3 = %1") : tr("alpha = %1")).arg(QString::number(plan.alpha, 'g', 3));
    // Too few pairs: the smallest detectable drop would exceed the flip rate, which no drop can.
    QString text = plan.detectableNow <= plan.flipRate
        ? tr("With %1 (flip rate %2) a drop of %3 is detected with power %4; ")
              .arg(pairs(n), percent(plan.flipRate), signedPoints(plan.detectableNow), percent(plan.power))
        : tr("With %1 (flip rate %2) no drop that can happen is detected with power %3 yet; ")
              .arg(pairs(n), percent(plan.flipRate), percent(plan.power));
    if (reachable)
        text += tr("%1 needs %2 (at %3, the level the decision uses).")
                    .arg(signedPoints(asked), pairs(plan.neededN), level);
    else
        text += tr("a drop of %1 cannot happen here: a drop is at most the flip rate, the share of pairs whose "
                   "result differs (%2, so at most %3). Choose a smaller drop to detect.")
                    .arg(signedPoints(asked), percent(plan.flipRate), signedPoints(plan.flipRate));
    m_answer->setText(text + marginAnswer(plan.flipRate, n));
}

} // namespace deltascope::ui

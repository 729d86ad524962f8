// SPDX-License-Identifier: GPL-3.0-or-later
#include "experts/ExpertMapsView.h"

#include "experts/LayerTableModel.h"
#include "plot/ExpertPlots.h"
#include "plot/PlotView.h"

#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <algorithm>
#include <cmath>

namespace deltascope::ui {

ExpertMapsView::ExpertMapsView(QWidget* parent)
    : QWidget(parent)
    , m_base(new PlotView(this))
    , m_policy(new PlotView(this))
    , m_diff(new PlotView(this))
    , m_model(new LayerTableModel(this))
    , m_table(new QTableView(this))
{
    auto* proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(m_model);
    proxy->setSortRole(LayerTableModel::SortRole);
    m_table->setModel(proxy);
    m_table->setSortingEnabled(true);
    m_table->setObjectName(QStringLiteral("layerTable"));
    m_table->sortByColumn(0, Qt::AscendingOrder); // layer 0 first (the header's default is descending)
    m_table->setTabKeyNavigation(false); // Tab leaves the table; arrows move within it
    m_table->verticalHeader()->hide();
    m_table->setAlternatingRowColors(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);

    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->addWidget(new QLabel(tr("<b>Top-k</b>: how often each expert is active per slice"), this), 0, 0);
    grid->addWidget(new QLabel(tr("<b>Policy</b> at the current budget"), this), 0, 1);
    grid->addWidget(m_base, 1, 0);
    grid->addWidget(m_policy, 1, 1);
    grid->addWidget(new QLabel(tr("<b>Difference</b> (policy - top-k)"), this), 2, 0);
    grid->addWidget(m_diff, 3, 0);
    grid->addWidget(m_table, 3, 1);
    grid->setColumnStretch(0, 1);
    grid->setColumnStretch(1, 1);
    grid->setRowStretch(1, 1);
    grid->setRowStretch(3, 1);
    // The three maps show the same cells: zooming or panning one moves the others with it.
    const PlotView* maps[] = { m_base, m_policy, m_diff };
    for (const PlotView* from : maps)
        for (PlotView* to : { m_base, m_policy, m_diff }) {
            if (from == to)
                continue;
            for (const bool x : { true, false }) {
                QCPAxis* source = x ? from->xAxis : from->yAxis;
                QCPAxis* target = x ? to->xAxis : to->yAxis;
                connect(
                    source, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), to, [to, target](const QCPRange& r) {
                        if (target->range() == r)
                            return; // the change came from here
                        target->setRange(r);
                        to->replot(QCustomPlot::rpQueuedReplot);
                    });
            }
        }
}

double fractionScaleTop(const std::vector<double>& base, const std::vector<double>& policy)
{
    // The largest fraction on either map (re-routing can make a kept expert more active than
    // top-k made it), rounded up to a twentieth, between 0.05 and 1.
    double most = 0.0;
    for (const auto* values : { &base, &policy })
        for (const double v : *values)
            if (std::isfinite(v))
                most = std::max(most, v);
    return std::clamp(std::ceil(most * 20.0 - 1e-9) / 20.0, 0.05, 1.0);
}

void ExpertMapsView::setRun(const ExpertRunPtr& run)
{
    m_model->setRun(run);
    if (!run)
        return;
    const auto& m = run->current->maps;
    std::vector<double> diff(m.base.size());
    // The difference's scale is the top-k map's, which no budget changes, so that its colours
    // compare from one budget to the next; widened only where a difference goes past it
    // (re-routing can make a kept expert more active than top-k made it).
    double span = fractionScaleTop(m.base, m.base);
    for (std::size_t i = 0; i < diff.size(); ++i) {
        diff[i] = m.policy[i] - m.base[i];
        span = std::max(span, std::abs(diff[i]));
    }
    const auto& ids = run->trace->layerIds;
    // A new budget of the same trace keeps where the user zoomed; another trace starts whole.
    const bool same = !m_shownTrace.expired() && m_shownTrace.lock() == run->trace;
    const QCPRange x = m_base->xAxis->range();
    const QCPRange y = m_base->yAxis->range();
    const double top = fractionScaleTop(m.base, m.policy);
    drawLayerExpertMap(m_base, m.base, m.layers, m.experts, ids, tr("active fraction"), 0, top, false);
    drawLayerExpertMap(m_policy, m.policy, m.layers, m.experts, ids, tr("active fraction"), 0, top, false);
    drawLayerExpertMap(m_diff, diff, m.layers, m.experts, ids, tr("difference"), -span, span, true);
    m_shownTrace = run->trace;
    if (same) {
        m_base->xAxis->setRange(x);
        m_base->yAxis->setRange(y);
    }
    for (PlotView* p : { m_base, m_policy, m_diff })
        p->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace deltascope::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#include "experts/LayerTableModel.h"

#include "common/Format.h"

namespace deltascope::ui {

LayerTableModel::LayerTableModel(QObject* parent)
    : QAbstractTableModel(parent)
{ }

void LayerTableModel::setRun(ExpertRunPtr run)
{
    beginResetModel();
    m_run = std::move(run);
    endResetModel();
}

int LayerTableModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid() || !m_run || !m_run->current || m_run->current->results.empty())
        return 0;
    return static_cast<int>(m_run->current->results.front().perLayer.size());
}

int LayerTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LayerTableModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const auto& l = m_run->current->results.front().perLayer[static_cast<std::size_t>(index.row())];
    const double reduction = l.activatedBaseMean > 0 ? 1.0 - l.activatedMean / l.activatedBaseMean : 0.0;
    if (role == SortRole) {
        switch (index.column()) {
        case Layer:
            return l.layer;
        case TopK:
            return l.activatedBaseMean;
        case Policy:
            return l.activatedMean;
        case Reduction:
            return reduction;
        case Mass:
            return l.massRetained;
        }
    }
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Layer:
            return l.layer;
        case TopK:
            return QString::number(l.activatedBaseMean, 'f', 2);
        case Policy:
            return QString::number(l.activatedMean, 'f', 2);
        case Reduction:
            return percent(reduction);
        case Mass:
            return percent(l.massRetained);
        }
    }
    if (role == Qt::TextAlignmentRole)
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant LayerTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::DisplayRole) {
        static const char* names[] = { "Layer", "Top-k experts", "Policy experts", "Reduction", "Mass kept" };
        return tr(names[section]);
    }
    if (role != Qt::ToolTipRole)
        return {};
    switch (section) {
    case Layer:
        return tr("The MoE layer (the model's own layer number when the trace records it)");
    case TopK:
        return tr("Distinct experts a slice (this layer in one batch) activates under the model's own top-k "
                  "routing, averaged over the batches");
    case Policy:
        return tr("Distinct experts a slice activates under the chosen policy at budget M (at most M)");
    case Reduction:
        return tr("1 - policy experts / top-k experts: the share of expert loads the policy saves");
    case Mass:
        return tr("Gating mass kept: the sum of the router scores of the experts each token is routed to after "
                  "sharing, over the sum of its top-k scores (100%: nothing lost)");
    }
    return {};
}

} // namespace deltascope::ui

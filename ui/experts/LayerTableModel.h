// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "experts/ExpertRun.h"

#include <QAbstractTableModel>

namespace deltascope::ui {

/// Per-layer results of the current budget: activated experts (top-k, policy), reduction, mass.
class LayerTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Layer, TopK, Policy, Reduction, Mass, ColumnCount };
    static constexpr int SortRole = Qt::UserRole;

    explicit LayerTableModel(QObject* parent = nullptr);
    void setRun(ExpertRunPtr run);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    ExpertRunPtr m_run;
};

} // namespace deltascope::ui

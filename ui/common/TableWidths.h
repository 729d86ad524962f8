// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QHeaderView>
#include <QTableView>
#include <algorithm>

namespace deltascope::ui {

/// Fits a table's columns to what they show, but no column wider than `fraction` of the view
/// (at least `floor` px): one long id or task name must not push the other columns out of sight.
/// The cut text ends in "…" and the whole of it is in the cell's tooltip where the model gives one.
inline void fitColumns(QTableView* view, double fraction = 0.4, int floor = 160)
{
    view->resizeColumnsToContents();
    const int most = std::max(floor, static_cast<int>(fraction * view->viewport()->width()));
    for (int c = 0; c < view->horizontalHeader()->count(); ++c)
        if (view->columnWidth(c) > most)
            view->setColumnWidth(c, most);
}

} // namespace deltascope::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "eval/RunDiscovery.h"

#include <QDialog>

class QTableWidget;

namespace deltascope::ui {

/// When a folder holds several lm-eval runs: lists them (model, time, tasks, lm-eval version) and
/// returns the one picked.
class RunPickerDialog : public QDialog {
    Q_OBJECT
public:
    RunPickerDialog(const QString& path, const std::vector<eval::RunCandidate>& runs, QWidget* parent = nullptr);
    int chosen() const; ///< index into runs, or -1

private:
    QTableWidget* m_table;
};

} // namespace deltascope::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "eval/TableLoader.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLabel;

namespace deltascope::ui {

/// Which columns of a generic id/score table hold the sample id, the score, the task, the filter,
/// and the texts the sample view shows (prompt, response, target). Offers the file's own column
/// names (JSONL: its keys, nested ones dotted).
class ColumnMappingDialog : public QDialog {
    Q_OBJECT
public:
    /// `preset`: a mapping to start from (the other side's), where this file has those columns.
    /// `side`: the side the file is read for ("baseline", "candidate"), named in the dialog.
    ColumnMappingDialog(const QString& path, QWidget* parent = nullptr, const eval::TableColumns* preset = nullptr,
        const QString& side = {});
    /// The dialog's heading: the side and file, and why the other side's columns were not taken.
    QString heading() const;
    eval::TableColumns columns() const;
    /// The user wants the other side, when it is a table with these columns, read the same way.
    bool useForBothSides() const;

    /// The column names of a table file (first line of CSV/TSV, keys of the first JSONL record).
    static QStringList columnsOf(const QString& path);
    /// True when the table at path has every column the mapping names.
    static bool fits(const QString& path, const eval::TableColumns& columns);

private:
    QComboBox* m_id;
    QComboBox* m_score;
    QComboBox* m_task;
    QComboBox* m_filter;
    QComboBox* m_prompt;
    QComboBox* m_response;
    QComboBox* m_target;
    QCheckBox* m_both;
    QLabel* m_heading;
};

} // namespace deltascope::ui

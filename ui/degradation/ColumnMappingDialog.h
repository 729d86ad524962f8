#pragma once

#include "eval/TableLoader.h"

#include <QDialog>

class QComboBox;

namespace deltascope::ui {

/// Which columns of a generic id/score table hold the sample id, the score, the task and the
/// filter. Offers the file's own column names (JSONL: its keys, nested ones dotted).
class ColumnMappingDialog : public QDialog {
    Q_OBJECT
public:
    ColumnMappingDialog(const QString& path, QWidget* parent = nullptr);
    eval::TableColumns columns() const;

    /// The column names of a table file (first line of CSV/TSV, keys of the first JSONL record).
    static QStringList columnsOf(const QString& path);

private:
    QComboBox* m_id;
    QComboBox* m_score;
    QComboBox* m_task;
    QComboBox* m_filter;
};

} // namespace deltascope::ui

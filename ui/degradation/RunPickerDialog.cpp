// SPDX-License-Identifier: GPL-3.0-or-later
#include "degradation/RunPickerDialog.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QSet>
#include <QTableWidget>
#include <QVBoxLayout>

namespace deltascope::ui {

RunPickerDialog::RunPickerDialog(const QString& path, const std::vector<eval::RunCandidate>& runs, QWidget* parent)
    : QDialog(parent)
    , m_table(new QTableWidget(static_cast<int>(runs.size()), 5, this))
{
    setWindowTitle(tr("Choose a run"));
    m_table->setHorizontalHeaderLabels({ tr("Model"), tr("Time"), tr("Tasks"), tr("Written by"), tr("Folder") });
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    for (int i = 0; i < static_cast<int>(runs.size()); ++i) {
        const auto& r = runs[static_cast<std::size_t>(i)];
        QStringList tasks;
        for (const auto& s : r.samples)
            if (!tasks.contains(QString::fromStdString(s.task)))
                tasks << QString::fromStdString(s.task);
        const QStringList cells { QString::fromStdString(r.model), QString::fromStdString(r.timestamp),
            tasks.join(QStringLiteral(", ")), QString::fromStdString(r.toolVersion), QString::fromStdString(r.dir) };
        for (int c = 0; c < cells.size(); ++c)
            m_table->setItem(i, c, new QTableWidgetItem(cells[c]));
    }
    m_table->resizeColumnsToContents();
    m_table->selectRow(0);
    connect(m_table, &QTableWidget::cellDoubleClicked, this, &QDialog::accept);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(tr("%1 holds %2 runs. Which one?").arg(path).arg(runs.size()), this));
    layout->addWidget(m_table);
    layout->addWidget(buttons);
    resize(820, 320);
}

int RunPickerDialog::chosen() const
{
    const auto rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? -1 : rows.first().row();
}

} // namespace deltascope::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#include "degradation/LoadSelectionDialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>

namespace deltascope::ui {

namespace {

QStringList listOf(const QString& text)
{
    QStringList out;
    for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts))
        if (!part.trimmed().isEmpty())
            out << part.trimmed();
    return out;
}

} // namespace

bool parseMetricChoices(const QString& text, std::map<std::string, std::string>& out, QString& why)
{
    out.clear();
    for (const QString& pair : listOf(text)) {
        const auto eq = pair.indexOf(QLatin1Char('='));
        const QString task = pair.left(eq).trimmed();
        const QString metric = pair.mid(eq + 1).trimmed();
        if (eq <= 0 || task.isEmpty() || metric.isEmpty()) {
            why = QObject::tr("\"%1\" is not TASK=METRIC").arg(pair);
            return false;
        }
        out[task.toStdString()] = metric.toStdString();
    }
    return true;
}

LoadSelectionDialog::LoadSelectionDialog(const LoadSelection& current, QWidget* parent)
    : QDialog(parent)
    , m_tasks(new QLineEdit(current.tasks.join(QStringLiteral(", ")), this))
    , m_metrics(new QLineEdit(this))
    , m_filters(new QLineEdit(current.filters.join(QStringLiteral(", ")), this))
    , m_error(new QLabel(this))
{
    setWindowTitle(tr("Tasks, metrics and filters"));
    QStringList pairs;
    for (const auto& [task, metric] : current.metrics)
        pairs << QString::fromStdString(task + "=" + metric);
    m_metrics->setText(pairs.join(QStringLiteral(", ")));
    m_tasks->setPlaceholderText(tr("every task, e.g. mmlu, gsm8k"));
    m_metrics->setPlaceholderText(tr("each task's first metric, e.g. hellaswag=acc_norm"));
    m_filters->setPlaceholderText(tr("every filter, e.g. strict-match"));
    m_error->setStyleSheet(QStringLiteral("color: palette(highlight)"));
    auto* form = new QFormLayout(this);
    form->addRow(tr("Compare only these tasks"), m_tasks);
    form->addRow(tr("Metric per task"), m_metrics);
    form->addRow(tr("Compare only these filters"), m_filters);
    form->addRow(m_error);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &LoadSelectionDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
}

void LoadSelectionDialog::accept()
{
    std::map<std::string, std::string> metrics;
    QString why;
    if (!parseMetricChoices(m_metrics->text(), metrics, why)) {
        m_error->setText(why);
        m_metrics->setFocus();
        return;
    }
    QDialog::accept();
}

LoadSelection LoadSelectionDialog::value() const
{
    LoadSelection s;
    s.tasks = listOf(m_tasks->text());
    s.filters = listOf(m_filters->text());
    QString why;
    parseMetricChoices(m_metrics->text(), s.metrics, why);
    return s;
}

} // namespace deltascope::ui

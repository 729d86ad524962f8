// SPDX-License-Identifier: GPL-3.0-or-later
#include "degradation/LoadSelectionDialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <algorithm>
#include <vector>

namespace deltascope::ui {

namespace {

QStringList pieces(const QString& text)
{
    QStringList out;
    for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts))
        if (!part.trimmed().isEmpty())
            out << part.trimmed();
    return out;
}

} // namespace

QStringList splitTaskList(const QString& text)
{
    // A HELM run's name holds commas of its own ("bbq:subject=all,method=multiple_choice_joint"):
    // a piece "key=value" without ':' after a name with ':' continues it, as on the command line.
    QStringList out;
    for (const QString& p : pieces(text)) {
        if (!out.isEmpty() && out.back().contains(QLatin1Char(':')) && p.contains(QLatin1Char('='))
            && !p.contains(QLatin1Char(':')))
            out.back() += QLatin1Char(',') + p;
        else
            out << p;
    }
    return out;
}

bool parseMetricChoices(const QString& text, std::map<std::string, std::string>& out, QString& why)
{
    out.clear();
    // Pairs split at commas; a HELM run's name ("bbq:subject=all,method=...") holds commas and '='
    // itself, so its pieces join until the one that also names the metric (a second '=' in it).
    QStringList pairs;
    std::vector<bool> open; // per pair: a HELM name still waiting for its metric
    for (const QString& p : pieces(text)) {
        const auto equals = p.count(QLatin1Char('='));
        if (!open.empty() && open.back() && !p.contains(QLatin1Char(':')) && equals >= 1) {
            pairs.back() += QLatin1Char(',') + p;
            open.back() = equals < 2;
            continue;
        }
        pairs << p;
        open.push_back(p.contains(QLatin1Char(':')) && equals < 2);
    }
    for (std::size_t i = 0; i < open.size(); ++i)
        if (open[i]) {
            why = QObject::tr("\"%1\" names a task but no metric: add =METRIC after it").arg(pairs[int(i)]);
            return false;
        }
    for (const QString& pair : pairs) {
        // The metric follows the last '=' (task names may hold '=', metric names do not).
        const auto eq = pair.lastIndexOf(QLatin1Char('='));
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
    // Wide enough for HELM run names and several TASK=METRIC pairs.
    setMinimumWidth(std::max(640, fontMetrics().averageCharWidth() * 90));
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
    s.tasks = splitTaskList(m_tasks->text());
    s.filters = pieces(m_filters->text());
    QString why;
    parseMetricChoices(m_metrics->text(), s.metrics, why);
    return s;
}

} // namespace deltascope::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#include "degradation/ExtraInputsButton.h"

#include "common/AppSettings.h"
#include "common/FileOrFolderDialog.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QMenu>

namespace deltascope::ui {

ExtraInputsButton::ExtraInputsButton(QWidget* parent)
    : QToolButton(parent)
{
    setObjectName(QStringLiteral("extraInputs"));
    setPopupMode(QToolButton::InstantPopup);
    auto* menu = new QMenu(this);
    menu->addAction(tr("Tasks, metrics and filters…"), this, [this] {
        LoadSelectionDialog dialog(m_selection, this);
        if (dialog.exec() == QDialog::Accepted)
            setSelection(dialog.value());
    });
    menu->addAction(tr("Keep-list…"), this, [this] {
        AppSettings settings;
        const QString p = QFileDialog::getOpenFileName(this, tr("Keep-list (samples to compare)"),
            settings.lastDirectory(), tr("Keep-lists (*.json *.txt *.csv);;All files (*)"));
        if (!p.isEmpty())
            setKeepList(p);
    });
    m_clearKeepList = menu->addAction(tr("No keep-list (every sample)"), this, [this] { setKeepList({}); });
    menu->addAction(tr("Cluster key…"), this, [this] {
        bool ok = false;
        const QString key = QInputDialog::getText(this, tr("Clustered items"),
            tr("Column or field path naming each item's cluster (a table column such as passage_id, an lm-eval field "
               "such as doc.subject, an Inspect field such as metadata.subject); empty: items are independent. "
               "Clusters are flipped whole in the sign-flip test."),
            QLineEdit::Normal, m_clusterKey, &ok);
        if (ok)
            setClusterKey(key.trimmed());
    });
    menu->addSeparator();
    for (const bool candidate : { false, true })
        menu->addAction(
            candidate ? tr("Add a candidate rerun…") : tr("Add a baseline rerun…"), this, [this, candidate] {
                AppSettings settings;
                const QString p = FileOrFolderDialog::getPath(this,
                    candidate ? tr("Another run of the candidate") : tr("Another run of the baseline"),
                    settings.lastDirectory(),
                    tr("Evaluation files (*.json *.jsonl *.eval *.csv *.tsv);;All files (*)"));
                if (!p.isEmpty())
                    addRerun(candidate, p);
            });
    m_clearReruns = menu->addAction(tr("No reruns"), this, &ExtraInputsButton::clearReruns);
    setMenu(menu);
    refresh();
}

void ExtraInputsButton::setSelection(const LoadSelection& selection)
{
    m_selection = selection;
    refresh();
    emit changed();
}

void ExtraInputsButton::applyTo(analysis::ComparisonRequest& request) const
{
    request.keepListPath = m_keepList.toStdString();
    for (const auto& r : m_baseReruns)
        request.base.reruns.push_back(r.toStdString());
    for (const auto& r : m_candReruns)
        request.cand.reruns.push_back(r.toStdString());
    for (auto* side : { &request.base.load, &request.cand.load }) {
        for (const auto& t : m_selection.tasks)
            side->tasks.push_back(t.toStdString());
        for (const auto& f : m_selection.filters)
            side->filters.push_back(f.toStdString());
        for (const auto& [task, metric] : m_selection.metrics)
            side->metrics[task] = metric;
        side->clusterKey = m_clusterKey.toStdString();
    }
}

void ExtraInputsButton::setKeepList(const QString& path)
{
    m_keepList = path;
    refresh();
    emit changed();
}

void ExtraInputsButton::addRerun(bool candidate, const QString& path)
{
    (candidate ? m_candReruns : m_baseReruns) << path;
    refresh();
    emit changed();
}

void ExtraInputsButton::setClusterKey(const QString& key)
{
    if (key == m_clusterKey)
        return;
    m_clusterKey = key;
    refresh();
    emit changed();
}

void ExtraInputsButton::clearReruns()
{
    m_baseReruns.clear();
    m_candReruns.clear();
    refresh();
    emit changed();
}

void ExtraInputsButton::restore(const Inputs& inputs)
{
    m_selection = inputs.selection;
    m_keepList = inputs.keepList;
    m_clusterKey = inputs.clusterKey;
    m_baseReruns = inputs.baseReruns;
    m_candReruns = inputs.candReruns;
    refresh();
}

void ExtraInputsButton::refresh()
{
    QStringList parts;
    if (!m_selection.tasks.isEmpty())
        parts << tr("%n task(s)", "", int(m_selection.tasks.size()));
    if (!m_selection.metrics.empty())
        parts << tr("%n metric(s) chosen", "", int(m_selection.metrics.size()));
    if (!m_selection.filters.isEmpty())
        parts << tr("filters %1").arg(m_selection.filters.join(QStringLiteral(", ")));
    if (!m_keepList.isEmpty())
        parts << tr("keep-list %1").arg(QFileInfo(m_keepList).fileName());
    if (!m_clusterKey.isEmpty())
        parts << tr("clusters by %1").arg(m_clusterKey);
    if (!m_baseReruns.isEmpty())
        parts << tr("%n baseline rerun(s)", "", int(m_baseReruns.size()));
    if (!m_candReruns.isEmpty())
        parts << tr("%n candidate rerun(s)", "", int(m_candReruns.size()));
    // Cut to a button's width (the whole list is in the tooltip), so that a long keep-list name
    // does not squeeze the runs' boxes.
    setText(parts.isEmpty() ? tr("More inputs")
                            : fontMetrics().elidedText(parts.join(QStringLiteral(" · ")), Qt::ElideMiddle,
                                fontMetrics().averageCharWidth() * 28));
    QStringList tip { tr("Tasks, metrics and filters to compare, a keep-list (compare only the samples it lists) "
                         "and reruns of either side (scores averaged per sample)") };
    if (!m_selection.tasks.isEmpty())
        tip << tr("tasks: %1").arg(m_selection.tasks.join(QStringLiteral(", ")));
    for (const auto& [task, metric] : m_selection.metrics)
        tip << tr("metric of %1: %2").arg(QString::fromStdString(task), QString::fromStdString(metric));
    if (!m_keepList.isEmpty())
        tip << tr("keep-list: %1").arg(m_keepList);
    if (!m_clusterKey.isEmpty())
        tip << tr("cluster key: %1").arg(m_clusterKey);
    for (const auto& r : m_baseReruns)
        tip << tr("baseline rerun: %1").arg(r);
    for (const auto& r : m_candReruns)
        tip << tr("candidate rerun: %1").arg(r);
    setToolTip(tip.join(QLatin1Char('\n')));
    m_clearKeepList->setEnabled(!m_keepList.isEmpty());
    m_clearReruns->setEnabled(!m_baseReruns.isEmpty() || !m_candReruns.isEmpty());
}

} // namespace deltascope::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "analysis/Comparison.h"
#include "degradation/LoadSelectionDialog.h"

#include <QStringList>
#include <QToolButton>

namespace deltascope::ui {

/// The comparison's inputs beyond the two runs, in one menu beside Compare: the tasks, metrics and
/// filters compared, a keep-list (only the samples it lists are compared, from `deltascope-cli
/// shrink`) and reruns of either side (their per-sample scores are averaged with the run's own).
class ExtraInputsButton : public QToolButton {
    Q_OBJECT
public:
    explicit ExtraInputsButton(QWidget* parent = nullptr);

    QString keepList() const { return m_keepList; }
    QStringList reruns(bool candidate) const { return candidate ? m_candReruns : m_baseReruns; }
    void setKeepList(const QString& path);
    void addRerun(bool candidate, const QString& path);
    void clearReruns();
    /// The column or field path naming each item's cluster (a passage, a subject); empty: none.
    QString clusterKey() const { return m_clusterKey; }
    void setClusterKey(const QString& key);
    LoadSelection selection() const { return m_selection; }
    void setSelection(const LoadSelection& selection);
    /// Puts these inputs into a comparison request (keep-list, reruns, tasks, metrics, filters,
    /// cluster key).
    void applyTo(analysis::ComparisonRequest& request) const;

    /// Everything this menu holds, to put back as it was (without a new comparison) when a
    /// comparison with changed inputs fails.
    struct Inputs {
        LoadSelection selection;
        QString keepList;
        QString clusterKey;
        QStringList baseReruns;
        QStringList candReruns;
    };
    Inputs inputs() const { return { m_selection, m_keepList, m_clusterKey, m_baseReruns, m_candReruns }; }
    void restore(const Inputs& inputs);

signals:
    void changed();

private:
    void refresh();

    LoadSelection m_selection;
    QString m_keepList;
    QString m_clusterKey;
    QStringList m_baseReruns;
    QStringList m_candReruns;
    QAction* m_clearKeepList;
    QAction* m_clearReruns;
};

} // namespace deltascope::ui

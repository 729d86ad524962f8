// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "moe/TraceImport.h"

#include <QList>
#include <QWidget>
#include <cstdint>
#include <memory>

class QLabel;
class QSpinBox;

namespace deltascope::ui {

class PlotView;

/// The "Load counts" tab: expert load counts (SGLang CSV, JSON logical_count) as a per-layer
/// heatmap, and the balanced placement they give over a number of devices with extra copies.
class ExpertCountsView : public QWidget {
    Q_OBJECT
public:
    explicit ExpertCountsView(QWidget* parent = nullptr);

    /// Reads the counts; empty on success, else why not.
    QString open(const QString& path);
    bool hasCounts() const { return m_counts != nullptr; }
    /// The experts per layer the counts name (0 without counts).
    int experts() const;
    QString path() const { return m_path; }
    /// The balanced placement as JSON; empty or why it failed.
    QString exportPlacement(const QString& path) const;
    PlotView* plot() const { return m_plot; }
    /// One sentence on the counts and their balanced placement (empty without counts).
    QString summary() const;
    int devices() const;
    int replicas() const;
    /// The experts of the open trace (0: none): balancing it by the counts needs a trace with as many
    /// experts as the counts name.
    void setTraceExperts(std::int64_t experts);

signals:
    void statusMessage(const QString& text);
    /// The user asked to place the trace's experts by these counts with `replicas` extra copies.
    void useForBalance(const QString& path, int devices, int replicas);

private:
    void redraw();

    std::shared_ptr<const moe::ExpertCounts> m_counts;
    QString m_path;
    PlotView* m_plot;
    QSpinBox* m_devices;
    QSpinBox* m_replicas;
    QLabel* m_info;
    QList<QWidget*> m_needCounts; ///< the buttons that act on open counts
    QWidget* m_use = nullptr; ///< "Balance the trace by these counts": counts and a trace
    std::int64_t m_traceExperts = 0;
    void updateButtons();
};

} // namespace deltascope::ui

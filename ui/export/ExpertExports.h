// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "experts/ExpertRun.h"
#include "export/ReportPlot.h"

#include <QList>
#include <QString>

/// The expert-sharing workspace's exports. Each file is written atomically; each function returns
/// an empty string or the reason it failed.
namespace deltascope::ui::exporter {

/// The expert-sharing report: trace facts, settings, the summary at the current budget, the
/// figures and the per-layer table (HTML self-contained, or PDF by the suffix).
QString expertsReport(const QString& path, const ExpertRun& run, const QList<ReportPlot>& plots);
/// A report on expert load counts alone (no trace): what they are, the balanced placement they
/// give, and the figures (HTML, or PDF by the suffix).
QString countsReport(const QString& path, const QString& countsPath, const QString& summary, int devices, int replicas,
    const QList<ReportPlot>& plots);
/// Every budget as JSON, as `deltascope-cli xshare --format json` writes it.
QString expertsJson(const QString& path, const ExpertRun& run);
/// Per-layer metrics of the current budget as CSV.
QString expertsLayerCsv(const QString& path, const ExpertRun& run);
/// Per-slice metrics of the current budget as CSV (see sliceCsv).
QString expertsSliceCsv(const QString& path, const ExpertRun& run);

} // namespace deltascope::ui::exporter

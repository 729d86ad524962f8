#pragma once

#include "degradation/Comparison.h"
#include "experts/ExpertRun.h"

#include <QList>
#include <QString>

namespace deltascope::ui {

class PlotView;

/// A plot to put in a report, with what it shows.
struct ReportPlot {
    QString title;
    QString caption;
    PlotView* plot = nullptr;
};

/// Writers behind the Export menu. Every file is written atomically (a temporary file renamed
/// into place); each returns an empty string or the reason it failed.
namespace exporter {

/// Any bytes, atomically.
QString writeFile(const QString& path, const QByteArray& bytes);

QString html(const QString& path, const Comparison& c, const QList<ReportPlot>& plots);
QString pdf(const QString& path, const Comparison& c, const QList<ReportPlot>& plots);
QString json(const QString& path, const Comparison& c);
/// The disagreement rows given (indices into the comparison's flips, or every flip when empty).
QString disagreementsCsv(const QString& path, const Comparison& c, const std::vector<report::Disagreement>& rows);
/// PNG or SVG, chosen by the file's suffix.
QString plotImage(const QString& path, PlotView* plot, int width = 1200, int height = 700);

/// The expert-sharing report: trace facts, settings, the summary at the current budget, the
/// figures and the per-layer table (HTML self-contained, or PDF by the suffix).
QString expertsReport(const QString& path, const ExpertRun& run, const QList<ReportPlot>& plots);
/// Per-layer metrics of the current budget as CSV.
QString expertsLayerCsv(const QString& path, const ExpertRun& run);
/// Per-slice metrics of the current budget as CSV (see sliceCsv).
QString expertsSliceCsv(const QString& path, const ExpertRun& run);

/// Settings shown in reports.
std::vector<std::pair<std::string, std::string>> reportSettings(const Comparison& c);

} // namespace exporter
} // namespace deltascope::ui

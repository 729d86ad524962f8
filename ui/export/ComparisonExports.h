// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "degradation/Comparison.h"
#include "export/ReportPlot.h"

#include <QList>
#include <QString>
#include <string>
#include <utility>
#include <vector>

/// The degradation workspace's exports. Each file is written atomically; each function returns an
/// empty string or the reason it failed.
namespace deltascope::ui::exporter {

QString html(const QString& path, const Comparison& c, const QList<ReportPlot>& plots);
QString pdf(const QString& path, const Comparison& c, const QList<ReportPlot>& plots);
QString json(const QString& path, const Comparison& c);
/// The disagreement rows given (indices into the comparison's flips, or every flip when empty).
QString disagreementsCsv(const QString& path, const Comparison& c, const std::vector<report::Disagreement>& rows);
/// Settings shown in reports.
std::vector<std::pair<std::string, std::string>> reportSettings(const Comparison& c);

} // namespace deltascope::ui::exporter

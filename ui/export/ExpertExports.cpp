// SPDX-License-Identifier: GPL-3.0-or-later
#include "export/ExpertExports.h"

#include "export/ExportFiles.h"
#include "report/ReportWriters.h"
#include "report/XShareWriters.h"

#include <QTextDocument>

namespace deltascope::ui::exporter {

// The same writers as the command line's (core/report), so both give the same files.

QString expertsSliceCsv(const QString& path, const ExpertRun& run)
{
    return writeFile(path, QByteArray::fromStdString(report::xshareSliceCsv(*currentWithSlices(run))));
}

QString expertsLayerCsv(const QString& path, const ExpertRun& run)
{
    return writeFile(path, QByteArray::fromStdString(report::xshareLayerCsv(*run.current)));
}

QString expertsJson(const QString& path, const ExpertRun& run)
{
    return writeFile(path, QByteArray::fromStdString(report::xshareJson(reportView(run, true))));
}

QString expertsReport(const QString& path, const ExpertRun& run, const QList<ReportPlot>& plots)
{
    const bool asPdf = wantsPdf(path);
    QTextDocument doc;
    const auto figures = figuresOf(plots, asPdf ? &doc : nullptr);
    const std::string html = report::toExpertHtml(report::expertSummary(reportView(run)), figures);
    if (asPdf)
        return printPdf(path, doc, QString::fromStdString(html));
    return writeFile(path, QByteArray::fromStdString(html));
}

QString countsReport(const QString& path, const QString& countsPath, const QString& summary, int devices, int replicas,
    const QList<ReportPlot>& plots)
{
    const bool asPdf = wantsPdf(path);
    QTextDocument doc;
    report::ExpertSummary s;
    s.headline = summary.toStdString();
    s.facts = { { "expert load counts", countsPath.toStdString() }, { "devices", std::to_string(devices) },
        { "extra copies", std::to_string(replicas) } };
    const std::string html = report::toExpertHtml(s, figuresOf(plots, asPdf ? &doc : nullptr));
    if (asPdf)
        return printPdf(path, doc, QString::fromStdString(html));
    return writeFile(path, QByteArray::fromStdString(html));
}

} // namespace deltascope::ui::exporter

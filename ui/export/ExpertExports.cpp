#include "export/ExpertExports.h"

#include "export/ExportFiles.h"
#include "report/ReportWriters.h"

#include <QTextDocument>

namespace deltascope::ui::exporter {

QString expertsSliceCsv(const QString& path, const ExpertRun& run)
{
    return writeFile(path, sliceCsv(run).toUtf8());
}

QString expertsLayerCsv(const QString& path, const ExpertRun& run)
{
    std::string out = "layer,budget,activated_base_mean,activated_mean,mass_retained\n";
    const auto& r = run.current->results.front();
    for (const auto& l : r.perLayer)
        out += std::to_string(l.layer) + ',' + std::to_string(r.budget) + ',' + formatNumber(l.activatedBaseMean) + ','
            + formatNumber(l.activatedMean) + ',' + formatNumber(l.massRetained) + '\n';
    return writeFile(path, QByteArray::fromStdString(out));
}

QString expertsReport(const QString& path, const ExpertRun& run, const QList<ReportPlot>& plots)
{
    const bool asPdf = wantsPdf(path);
    QTextDocument doc;
    const auto figures = figuresOf(plots, asPdf ? &doc : nullptr);
    const auto& t = *run.trace;
    const auto& r = run.current->results.front();
    const double slices = static_cast<double>(std::max<std::int64_t>(1, run.current->sliceCount));
    std::vector<std::pair<std::string, std::string>> facts {
        { "trace", run.path.toStdString() },
        { "model", t.model },
        { "shape",
            std::to_string(t.tokens) + " tokens, " + std::to_string(t.layers) + " layers, " + std::to_string(t.experts)
                + " experts, top-" + std::to_string(t.topK) + (t.sparse ? ", sparse" : ", dense") },
        { "batching",
            run.batches->mode + ", batch size " + std::to_string(run.batches->batchSize) + ", gamma "
                + std::to_string(run.settings.gamma) },
        { "policy",
            std::string(moe::toString(run.settings.policy)) + ", warm-up " + std::to_string(run.settings.warmup) + ", "
                + std::to_string(run.settings.devices) + " devices ("
                + (run.settings.balanced ? "balanced" : "contiguous") + " placement)" },
        { "budget M", std::to_string(r.budget) },
    };
    std::vector<std::vector<std::string>> layers { { "layer", "top-k experts", "policy experts", "mass kept" } };
    for (const auto& l : r.perLayer)
        layers.push_back({ std::to_string(l.layer), QString::number(l.activatedBaseMean, 'f', 2).toStdString(),
            QString::number(l.activatedMean, 'f', 2).toStdString(),
            QString::number(100.0 * l.massRetained, 'f', 2).toStdString() + "%" });
    report::ExpertSummary summary;
    summary.headline = QObject::tr("M = %1: %2 → %3 experts per slice (%4% fewer), %5% of the gating mass kept")
                           .arg(r.budget)
                           .arg(static_cast<double>(r.activatedBase) / slices, 0, 'f', 2)
                           .arg(static_cast<double>(r.activated) / slices, 0, 'f', 2)
                           .arg(100.0 * r.reduction, 0, 'f', 1)
                           .arg(100.0 * r.massRetained, 0, 'f', 2)
                           .toStdString();
    summary.facts = std::move(facts);
    summary.layers = std::move(layers);
    const std::string html = report::toExpertHtml(summary, figures);
    if (asPdf)
        return printPdf(path, doc, QString::fromStdString(html));
    return writeFile(path, QByteArray::fromStdString(html));
}

} // namespace deltascope::ui::exporter

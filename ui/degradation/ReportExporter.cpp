#include "degradation/ReportExporter.h"

#include "plot/PlotView.h"
#include "report/ReportWriters.h"

#include <QBuffer>
#include <QFileInfo>
#include <QFont>
#include <QImageWriter>
#include <QPageLayout>
#include <QPageSize>
#include <QPdfWriter>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QTextDocument>

namespace deltascope::ui::exporter {

QString writeFile(const QString& path, const QByteArray& bytes)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return QObject::tr("cannot write %1: %2").arg(path, f.errorString());
    if (f.write(bytes) != bytes.size() || !f.commit())
        return QObject::tr("cannot write %1: %2").arg(path, f.errorString());
    return {};
}

QString expertsSliceCsv(const QString& path, const ExpertRun& run)
{
    return writeFile(path, sliceCsv(run).toUtf8());
}

namespace {

QImage render(PlotView* plot, int width, int height)
{
    return plot->toPixmap(width, height, 1.0).toImage();
}

QByteArray pngOf(const QImage& image)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    return bytes;
}

std::string csvField(const QString& s)
{
    QString out = s;
    if (out.contains(QLatin1Char(',')) || out.contains(QLatin1Char('"')) || out.contains(QLatin1Char('\n')))
        out = QLatin1Char('"') + out.replace(QLatin1Char('"'), QStringLiteral("\"\"")) + QLatin1Char('"');
    return out.toStdString();
}

std::string formatNumber(double v)
{
    return QString::number(v, 'g', 17).toStdString();
}

std::vector<std::vector<std::string>> topDisagreements(const Comparison& c, std::size_t limit)
{
    std::vector<std::vector<std::string>> rows;
    rows.push_back({ "task", "doc id", "baseline", "candidate", "direction" });
    for (const auto& d : *c.flips) {
        if (rows.size() > limit)
            break;
        const auto& pt = c.paired->tasks[d.task];
        const auto& s = c.base->tasks[static_cast<std::size_t>(pt.baseTask)].samples[pt.baseIndex[d.pair]];
        rows.push_back({ pt.task, s.docId, formatNumber(d.base), formatNumber(d.cand),
            d.direction > 0 ? "regression" : "improvement" });
    }
    return rows;
}

std::vector<report::HtmlFigure> figuresOf(const QList<ReportPlot>& plots, QTextDocument* doc);

std::string htmlText(const Comparison& c, const QList<ReportPlot>& plots, bool embed, QTextDocument* doc)
{
    return report::toHtml(
        c.report, figuresOf(plots, embed ? nullptr : doc), reportSettings(c), topDisagreements(c, 50));
}

} // namespace

std::vector<std::pair<std::string, std::string>> reportSettings(const Comparison& c)
{
    std::vector<std::pair<std::string, std::string>> s;
    s.emplace_back("alpha", QString::number(c.report.alpha, 'g', 6).toStdString());
    s.emplace_back("paired samples", std::to_string(c.pairCount()));
    s.emplace_back("tasks", std::to_string(c.report.tasks.size()));
    if (c.report.permutation.present) {
        s.emplace_back("permutations", std::to_string(c.report.permutation.permutations));
        s.emplace_back("seed", std::to_string(c.report.permutation.seed));
    }
    s.emplace_back("baseline input", c.baseSpec.path.toStdString());
    s.emplace_back("candidate input", c.candSpec.path.toStdString());
    return s;
}

QString html(const QString& path, const Comparison& c, const QList<ReportPlot>& plots)
{
    return writeFile(path, QByteArray::fromStdString(htmlText(c, plots, true, nullptr)));
}

namespace {

// Prints HTML (whose figures were added to doc as resources) to an A4 PDF, atomically.
QString printPdf(const QString& path, QTextDocument& doc, QString text)
{
    // A smaller type than on screen: the per-task table has a dozen columns to fit on A4.
    QFont font = doc.defaultFont();
    font.setPointSizeF(7.5);
    doc.setDefaultFont(font);
    // The print engine lays tables out from their attributes; the screen style sheet (em padding,
    // max-width in pixels) only confuses it.
    static const QRegularExpression style(
        QStringLiteral("<style>.*</style>"), QRegularExpression::DotMatchesEverythingOption);
    text.remove(style);
    doc.setDefaultStyleSheet(QStringLiteral("td, th { white-space: nowrap; } td.w { white-space: normal; }"));
    doc.setHtml(text);
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return QObject::tr("cannot write %1: %2").arg(path, f.errorString());
    {
        QPdfWriter writer(&f);
        writer.setPageSize(QPageSize(QPageSize::A4));
        writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout::Millimeter);
        writer.setTitle(QStringLiteral("Deltascope report"));
        writer.setCreator(QStringLiteral("Deltascope"));
        doc.print(&writer);
    }
    if (!f.commit())
        return QObject::tr("cannot write %1: %2").arg(path, f.errorString());
    return {};
}

// Figures for an HTML report: embedded as data, or added to doc as resources for printing.
std::vector<report::HtmlFigure> figuresOf(const QList<ReportPlot>& plots, QTextDocument* doc)
{
    std::vector<report::HtmlFigure> figures;
    int i = 0;
    for (const auto& p : plots) {
        report::HtmlFigure f;
        f.title = p.title.toStdString();
        f.caption = p.caption.toStdString();
        const QImage image = render(p.plot, 1100, 560);
        if (!doc) {
            f.pngBase64 = pngOf(image).toBase64().toStdString();
        } else {
            const QString name = QStringLiteral("figure%1.png").arg(i++);
            doc->addResource(
                QTextDocument::ImageResource, QUrl(name), image.scaledToWidth(640, Qt::SmoothTransformation));
            f.source = name.toStdString();
        }
        figures.push_back(std::move(f));
    }
    return figures;
}

bool wantsPdf(const QString& path)
{
    return QFileInfo(path).suffix().compare(QStringLiteral("pdf"), Qt::CaseInsensitive) == 0;
}

} // namespace

QString pdf(const QString& path, const Comparison& c, const QList<ReportPlot>& plots)
{
    QTextDocument doc;
    return printPdf(path, doc, QString::fromStdString(htmlText(c, plots, false, &doc)));
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

QString json(const QString& path, const Comparison& c)
{
    return writeFile(path, QByteArray::fromStdString(report::toJson(c.report)));
}

QString disagreementsCsv(const QString& path, const Comparison& c, const std::vector<report::Disagreement>& rows)
{
    std::string out = "task,filter,doc_id,baseline,candidate,drop,direction\n";
    for (const auto& d : rows.empty() ? *c.flips : rows) {
        const auto& pt = c.paired->tasks[d.task];
        const auto& s = c.base->tasks[static_cast<std::size_t>(pt.baseTask)].samples[pt.baseIndex[d.pair]];
        out += csvField(QString::fromStdString(pt.task)) + ',' + csvField(QString::fromStdString(pt.filter)) + ','
            + csvField(QString::fromStdString(s.docId)) + ',' + formatNumber(d.base) + ',' + formatNumber(d.cand) + ','
            + formatNumber(d.drop) + ',' + (d.direction > 0 ? "regression" : (d.direction < 0 ? "improvement" : "same"))
            + '\n';
    }
    return writeFile(path, QByteArray::fromStdString(out));
}

QString plotImage(const QString& path, PlotView* plot, int width, int height)
{
    if (QFileInfo(path).suffix().compare(QStringLiteral("svg"), Qt::CaseInsensitive) == 0) {
        QSaveFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            return QObject::tr("cannot write %1: %2").arg(path, f.errorString());
        {
            QSvgGenerator svg;
            svg.setOutputDevice(&f);
            svg.setSize(QSize(width, height));
            svg.setViewBox(QRect(0, 0, width, height));
            svg.setTitle(QStringLiteral("Deltascope plot"));
            QCPPainter painter(&svg);
            plot->toPainter(&painter, width, height);
        }
        if (!f.commit())
            return QObject::tr("cannot write %1: %2").arg(path, f.errorString());
        return {};
    }
    return writeFile(path, pngOf(render(plot, width, height)));
}

} // namespace deltascope::ui::exporter

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

namespace {

QString writeAll(const QString& path, const QByteArray& bytes)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return QObject::tr("cannot write %1: %2").arg(path, f.errorString());
    if (f.write(bytes) != bytes.size() || !f.commit())
        return QObject::tr("cannot write %1: %2").arg(path, f.errorString());
    return {};
}

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

std::string htmlText(const Comparison& c, const QList<ReportPlot>& plots, bool embed, QTextDocument* doc)
{
    std::vector<report::HtmlFigure> figures;
    int i = 0;
    for (const auto& p : plots) {
        report::HtmlFigure f;
        f.title = p.title.toStdString();
        f.caption = p.caption.toStdString();
        const QImage image = render(p.plot, 1100, 560);
        if (embed) {
            f.pngBase64 = pngOf(image).toBase64().toStdString();
        } else {
            const QString name = QStringLiteral("figure%1.png").arg(i++);
            doc->addResource(
                QTextDocument::ImageResource, QUrl(name), image.scaledToWidth(640, Qt::SmoothTransformation));
            f.source = name.toStdString();
        }
        figures.push_back(std::move(f));
    }
    return report::toHtml(c.report, figures, reportSettings(c), topDisagreements(c, 50));
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
    return writeAll(path, QByteArray::fromStdString(htmlText(c, plots, true, nullptr)));
}

QString pdf(const QString& path, const Comparison& c, const QList<ReportPlot>& plots)
{
    QTextDocument doc;
    // A smaller type than on screen: the per-task table has a dozen columns to fit on A4.
    QFont font = doc.defaultFont();
    font.setPointSizeF(7.5);
    doc.setDefaultFont(font);
    // The print engine lays tables out from their attributes; the screen style sheet (em padding,
    // max-width in pixels) only confuses it.
    QString text = QString::fromStdString(htmlText(c, plots, false, &doc));
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

QString json(const QString& path, const Comparison& c)
{
    return writeAll(path, QByteArray::fromStdString(report::toJson(c.report)));
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
    return writeAll(path, QByteArray::fromStdString(out));
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
    return writeAll(path, pngOf(render(plot, width, height)));
}

} // namespace deltascope::ui::exporter

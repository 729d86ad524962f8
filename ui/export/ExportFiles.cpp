// SPDX-License-Identifier: GPL-3.0-or-later
#include "export/ExportFiles.h"

#include "plot/PlotView.h"

#include <QAbstractTextDocumentLayout>
#include <QBuffer>
#include <QFileInfo>
#include <QFont>
#include <QImageWriter>
#include <QMessageBox>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QTextDocument>
#include <algorithm>

namespace deltascope::ui::exporter {

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

} // namespace

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

QString writeFile(const QString& path, const QByteArray& bytes)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return QObject::tr("cannot write %1: %2").arg(path, f.errorString());
    if (f.write(bytes) != bytes.size() || !f.commit())
        return QObject::tr("cannot write %1: %2").arg(path, f.errorString());
    return {};
}

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
    // Rich text knows no figure elements: each image and its caption get paragraphs of their own.
    text.replace(QStringLiteral("<figure><img"), QStringLiteral("<div><p><img"))
        .replace(QStringLiteral("<figcaption>"), QStringLiteral("</p><p>"))
        .replace(QStringLiteral("</figcaption></figure>"), QStringLiteral("</p></div>"));
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
        writer.setResolution(300);
        // The document is laid out in screen pixels on a page as wide as the printable width at
        // 96 dots per inch, or as wide as its widest table when that is wider, and each page is
        // drawn scaled onto the PDF's printable area: nothing runs past the right edge.
        const QRectF area = writer.pageLayout().paintRectPixels(writer.resolution());
        double width = area.width() * 96.0 / writer.resolution();
        for (int pass = 0; pass < 3; ++pass) {
            doc.setPageSize(QSizeF(width, width * area.height() / area.width()));
            const double needed = doc.documentLayout()->documentSize().width();
            if (needed <= width + 0.5)
                break;
            width = needed;
        }
        const QSizeF page = doc.pageSize();
        const double scale = area.width() / page.width();
        QPainter painter(&writer);
        for (int i = 0; i < doc.pageCount(); ++i) {
            if (i > 0)
                writer.newPage();
            painter.save();
            painter.scale(scale, scale);
            painter.translate(0, -i * page.height());
            QAbstractTextDocumentLayout::PaintContext context;
            context.clip = QRectF(0, i * page.height(), page.width(), page.height());
            doc.documentLayout()->draw(&painter, context);
            painter.restore();
        }
    }
    if (!f.commit())
        return QObject::tr("cannot write %1: %2").arg(path, f.errorString());
    return {};
}

std::vector<report::HtmlFigure> figuresOf(const QList<ReportPlot>& plots, QTextDocument* doc)
{
    std::vector<report::HtmlFigure> figures;
    int i = 0;
    for (const auto& p : plots) {
        report::HtmlFigure f;
        f.title = p.title.toStdString();
        f.caption = p.caption.toStdString();
        // Tall enough for a line per task where the tasks run down the side (MMLU's 57 subjects
        // each named).
        int height = 560;
        if (const auto tasks = qSharedPointerDynamicCast<CategoryTicker>(p.plot->yAxis->ticker()))
            height = static_cast<int>(std::clamp<qsizetype>(18 * tasks->count() + 120, 560, 2400));
        const QImage image = render(p.plot, 1100, height);
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

QString withFilterSuffix(const QString& path, const QString& filter)
{
    if (path.isEmpty() || !QFileInfo(path).suffix().isEmpty())
        return path;
    static const QRegularExpression extension(QStringLiteral(R"(\*\.([A-Za-z0-9]+))"));
    const auto m = extension.match(filter);
    return m.hasMatch() ? path + QLatin1Char('.') + m.captured(1) : path;
}

QString confirmedSavePath(QWidget* parent, const QString& title, const QString& typed, const QString& filter)
{
    const QString path = withFilterSuffix(typed, filter);
    if (path != typed && QFileInfo::exists(path)
        && QMessageBox::question(
               parent, title, QObject::tr("%1 already exists. Replace it?").arg(QFileInfo(path).fileName()))
            != QMessageBox::Yes)
        return {};
    return path;
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

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "export/ReportPlot.h"
#include "report/ReportWriters.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <string>
#include <vector>

class QTextDocument;
class QWidget;

/// What every export shares: atomic files, plot images, figures for HTML reports and printing
/// HTML to PDF. Each function returns an empty string or the reason it failed.
namespace deltascope::ui::exporter {

/// Any bytes, atomically (a temporary file renamed into place).
QString writeFile(const QString& path, const QByteArray& bytes);
/// PNG or SVG, chosen by the file's suffix.
QString plotImage(const QString& path, PlotView* plot, int width = 1200, int height = 700);
/// Figures for an HTML report: embedded as PNG data, or (with a document) added to it as
/// resources for printing.
std::vector<report::HtmlFigure> figuresOf(const QList<ReportPlot>& plots, QTextDocument* doc);
/// Prints HTML whose figures were added to `doc` to an A4 PDF, atomically.
QString printPdf(const QString& path, QTextDocument& doc, QString text);
/// Whether a report path asks for PDF (else HTML).
bool wantsPdf(const QString& path);
/// A path typed without an extension gets the first one of the file-dialog filter chosen
/// ("PDF (*.pdf)": "report" becomes "report.pdf"); a path with one is left as typed.
QString withFilterSuffix(const QString& path, const QString& filter);
/// The path to write for a name typed in a save dialog with this filter: withFilterSuffix, asking
/// (under `title`) before replacing a file that the extension added now names, since the dialog
/// only asked about the name typed. Empty when nothing was typed or the user declines.
QString confirmedSavePath(QWidget* parent, const QString& title, const QString& typed, const QString& filter);
/// A number with every digit a double holds, for CSV.
std::string formatNumber(double v);
/// A CSV field, quoted when it must be.
std::string csvField(const QString& s);

} // namespace deltascope::ui::exporter

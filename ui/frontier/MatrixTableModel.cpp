// SPDX-License-Identifier: GPL-3.0-or-later
#include "frontier/MatrixTableModel.h"

#include "common/Format.h"
#include "plot/FrontierPlots.h"

#include <QPalette>

namespace deltascope::ui {

namespace {

double scaleOf(const analysis::MatrixRow& row)
{
    return row.continuous ? 1.0 : 100.0; // binary tasks in accuracy points
}

QString dropText(const analysis::MatrixRow& row, double v)
{
    return row.continuous ? signedNumber(v) : QString::number(v * 100.0, 'f', 2);
}

} // namespace

MatrixTableModel::MatrixTableModel(QObject* parent)
    : QAbstractTableModel(parent)
{ }

void MatrixTableModel::setResult(std::shared_ptr<const analysis::MatrixResult> result, const QStringList& names)
{
    beginResetModel();
    m_result = std::move(result);
    m_names = names;
    // The column headers drop the start every candidate's name shares, as the plot's points do.
    QStringList full;
    for (int c = 0; c < columnCount(); ++c)
        full << candidateName(c);
    m_headers = frontierPointNames(full);
    endResetModel();
}

QString MatrixTableModel::candidateName(int column) const
{
    if (!m_result || column < 0 || column >= static_cast<int>(m_result->candidates.size()))
        return {};
    if (column < m_names.size() && !m_names[column].isEmpty())
        return m_names[column];
    return QString::fromStdString(m_result->candidates[static_cast<std::size_t>(column)].name);
}

int MatrixTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() || !m_result ? 0 : 1 + static_cast<int>(m_result->rows.size());
}

int MatrixTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() || !m_result ? 0 : static_cast<int>(m_result->candidates.size());
}

QString MatrixTableModel::verdictText(const std::string& verdict)
{
    if (verdict == "degraded")
        return tr("degraded");
    if (verdict == "no_worse_than_margin")
        return tr("no worse than the margin");
    if (verdict == "inconclusive")
        return tr("inconclusive");
    return tr("no evidence");
}

QColor MatrixTableModel::verdictColour(const std::string& verdict)
{
    if (verdict == "degraded")
        return regressionColor();
    if (verdict == "no_worse_than_margin")
        return improvementColor();
    if (verdict == "inconclusive") {
        // Okabe-Ito's reddish purple: apart from both the degraded vermilion and the green.
        const bool dark = QPalette().color(QPalette::Window).lightness() < 128;
        return dark ? QColor(0xe0, 0x9b, 0xc4) : QColor(0xcc, 0x79, 0xa7);
    }
    return QPalette().color(QPalette::PlaceholderText);
}

QVariant MatrixTableModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || !m_result || index.row() >= rowCount() || index.column() >= columnCount())
        return {};
    return index.row() == 0 ? verdictCell(index.column(), role) : taskCell(index.row() - 1, index.column(), role);
}

QVariant MatrixTableModel::verdictCell(int column, int role) const
{
    const auto& c = m_result->candidates[static_cast<std::size_t>(column)];
    switch (role) {
    case Qt::DisplayRole:
        return tr("%1 · tier %2").arg(verdictText(c.verdict)).arg(c.tier);
    case Qt::ForegroundRole:
        return verdictColour(c.verdict);
    case Qt::TextAlignmentRole:
        return int(Qt::AlignCenter);
    case VerdictRole:
        return QString::fromStdString(c.verdict);
    case Qt::ToolTipRole:
        return tr("<b>%1</b>: %2<br>decision p = %3 (Holm across candidates: %4)<br>tier %5 of %6: the data cannot "
                  "separate candidates of one tier")
            .arg(candidateName(column).toHtmlEscaped(), verdictText(c.verdict), pValue(c.decisionP),
                pValue(c.decisionPAdjusted))
            .arg(c.tier)
            .arg(m_result->tiers);
    default:
        return {};
    }
}

QVariant MatrixTableModel::taskCell(int row, int column, int role) const
{
    const auto& r = m_result->rows[static_cast<std::size_t>(row)];
    const auto& cell = r.cells[static_cast<std::size_t>(column)];
    if (!cell.present)
        return role == Qt::DisplayRole ? QStringLiteral("–") : QVariant();
    const QString flag = QString::fromUtf8(report::flagWord(cell.flag));
    switch (role) {
    case Qt::DisplayRole: {
        const QString mark = cell.flag == report::TaskFlag::Worse ? QStringLiteral(" ▼")
            : cell.flag == report::TaskFlag::Suggestive           ? QStringLiteral(" ?")
                                                                  : QString();
        return QStringLiteral("%1 [%2, %3]%4")
            .arg(dropText(r, cell.delta), dropText(r, cell.ciLow), dropText(r, cell.ciHigh), mark);
    }
    case Qt::ForegroundRole:
        if (cell.flag == report::TaskFlag::Worse)
            return regressionColor();
        if (cell.flag == report::TaskFlag::Suggestive)
            return warningColor();
        return {};
    case Qt::TextAlignmentRole:
        return int(Qt::AlignRight | Qt::AlignVCenter);
    case DropRole:
        return cell.delta * scaleOf(r);
    case FlagRole:
        return flag;
    case Qt::ToolTipRole:
        return tr("<b>%1</b> on %2 (%3)<br>drop %4 %5, 95% interval [%6, %7]<br>one-sided p = %8<br>flag: %9")
            .arg(candidateName(column).toHtmlEscaped(), QString::fromStdString(r.task).toHtmlEscaped(),
                QString::fromStdString(r.metric).toHtmlEscaped(), dropText(r, cell.delta),
                r.continuous ? tr("metric units") : tr("points"), dropText(r, cell.ciLow), dropText(r, cell.ciHigh),
                pValue(cell.pValue), flag);
    default:
        return {};
    }
}

QVariant MatrixTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (!m_result)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (orientation == Qt::Horizontal) {
        if (section < 0 || section >= columnCount())
            return {};
        if (role == Qt::DisplayRole)
            return section < m_headers.size() ? m_headers[section] : candidateName(section);
        if (role == Qt::ToolTipRole)
            return QString(candidateName(section) + QLatin1Char('\n')
                + QString::fromStdString(m_result->candidates[static_cast<std::size_t>(section)].givenAs));
        return {};
    }
    if (role == Qt::DisplayRole) {
        if (section == 0)
            return tr("Verdict");
        const auto& r = m_result->rows[static_cast<std::size_t>(section - 1)];
        return QString::fromStdString(r.task);
    }
    if (role == Qt::ToolTipRole && section > 0) {
        const auto& r = m_result->rows[static_cast<std::size_t>(section - 1)];
        return r.continuous
            ? tr("%1: drop in metric units (positive: worse), 95% interval").arg(QString::fromStdString(r.metric))
            : tr("%1: drop in accuracy points (positive: worse), 95% interval").arg(QString::fromStdString(r.metric));
    }
    return {};
}

} // namespace deltascope::ui

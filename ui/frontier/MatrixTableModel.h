// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "analysis/Matrix.h"

#include <QAbstractTableModel>
#include <QColor>
#include <QStringList>
#include <memory>

namespace deltascope::ui {

/// The tasks x candidates table of a matrix: the first row holds each candidate's verdict and
/// tier, then one row per task with the drop, its interval and the flag. Reset as a whole.
class MatrixTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Role {
        VerdictRole = Qt::UserRole, ///< the candidate's verdict word ("degraded", ...)
        DropRole, ///< the drop as a number (points for binary tasks), for sorting and tests
        FlagRole, ///< the cell's flag word ("ok", "worse", ...)
    };

    explicit MatrixTableModel(QObject* parent = nullptr);

    /// The matrix to show, with the names the user gave the candidates (empty: the matrix's own).
    void setResult(std::shared_ptr<const analysis::MatrixResult> result, const QStringList& names = {});
    std::shared_ptr<const analysis::MatrixResult> result() const { return m_result; }
    QString candidateName(int column) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    /// "no worse than the margin", "no evidence", ...
    static QString verdictText(const std::string& verdict);
    static QColor verdictColour(const std::string& verdict);

private:
    QVariant verdictCell(int column, int role) const;
    QVariant taskCell(int row, int column, int role) const;
    std::shared_ptr<const analysis::MatrixResult> m_result;
    QStringList m_names;
    QStringList m_headers; ///< the names as the column headers show them (shared start dropped)
};

} // namespace deltascope::ui

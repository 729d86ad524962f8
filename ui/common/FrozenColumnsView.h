// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QTableView>

namespace deltascope::ui {

/// A table whose first columns stay in place while the others scroll sideways: a second view over
/// the same model and selection lies on top of them and scrolls only vertically, with the main one.
class FrozenColumnsView : public QTableView {
    Q_OBJECT
public:
    explicit FrozenColumnsView(int frozenColumns, QWidget* parent = nullptr);

    void setModel(QAbstractItemModel* model) override;
    /// The view lying over the frozen columns (for tests and for its header's tooltips).
    QTableView* frozenView() const { return m_frozen; }
    int frozenColumns() const { return m_count; }

protected:
    void resizeEvent(QResizeEvent* event) override;
    void updateGeometries() override;
    QModelIndex moveCursor(CursorAction action, Qt::KeyboardModifiers modifiers) override;
    void scrollTo(const QModelIndex& index, ScrollHint hint = EnsureVisible) override;

private:
    void syncColumns();
    void placeOverlay();
    int frozenWidth() const;
    QTableView* m_frozen;
    int m_count;
};

} // namespace deltascope::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/FrozenColumnsView.h"

#include <QHeaderView>
#include <QScrollBar>

namespace deltascope::ui {

FrozenColumnsView::FrozenColumnsView(int frozenColumns, QWidget* parent)
    : QTableView(parent)
    , m_frozen(new QTableView(this))
    , m_count(frozenColumns)
{
    m_frozen->setObjectName(QStringLiteral("frozenColumns"));
    m_frozen->setFocusPolicy(Qt::NoFocus);
    m_frozen->verticalHeader()->hide();
    m_frozen->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_frozen->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_frozen->setFrameShape(QFrame::NoFrame);
    m_frozen->setWordWrap(false);
    m_frozen->setStyleSheet(QStringLiteral("QTableView { border-right: 1px solid palette(mid); }"));
    // Pixel scrolling on both, so that the overlay covers whole columns at every position.
    setHorizontalScrollMode(ScrollPerPixel);
    setVerticalScrollMode(ScrollPerPixel);
    m_frozen->setVerticalScrollMode(ScrollPerPixel);
    viewport()->stackUnder(m_frozen);
    connect(horizontalHeader(), &QHeaderView::sectionResized, this, [this](int section, int, int size) {
        if (section < m_count) {
            m_frozen->setColumnWidth(section, size);
            placeOverlay();
        }
    });
    connect(m_frozen->horizontalHeader(), &QHeaderView::sectionResized, this, [this](int section, int, int size) {
        if (section < m_count && columnWidth(section) != size)
            setColumnWidth(section, size);
    });
    connect(
        m_frozen->verticalScrollBar(), &QAbstractSlider::valueChanged, verticalScrollBar(), &QAbstractSlider::setValue);
    connect(
        verticalScrollBar(), &QAbstractSlider::valueChanged, m_frozen->verticalScrollBar(), &QAbstractSlider::setValue);
    // A click on a frozen header sorts as a click on the main one would.
    m_frozen->horizontalHeader()->setSectionsClickable(true);
    m_frozen->horizontalHeader()->setSortIndicatorShown(true);
    connect(m_frozen->horizontalHeader(), &QHeaderView::sectionClicked, this, [this](int section) {
        if (!isSortingEnabled())
            return;
        const bool same = horizontalHeader()->sortIndicatorSection() == section;
        const Qt::SortOrder order = same && horizontalHeader()->sortIndicatorOrder() == Qt::AscendingOrder
            ? Qt::DescendingOrder
            : Qt::AscendingOrder;
        sortByColumn(section, order);
    });
    connect(horizontalHeader(), &QHeaderView::sortIndicatorChanged, this, [this](int section, Qt::SortOrder order) {
        if (section < m_count)
            m_frozen->horizontalHeader()->setSortIndicator(section, order);
        else
            m_frozen->horizontalHeader()->setSortIndicator(-1, order);
    });
}

void FrozenColumnsView::setModel(QAbstractItemModel* model)
{
    QTableView::setModel(model);
    m_frozen->setModel(model);
    m_frozen->setSelectionModel(selectionModel());
    // The same look as the main view, whatever was set on it before.
    m_frozen->setSelectionBehavior(selectionBehavior());
    m_frozen->setSelectionMode(selectionMode());
    m_frozen->setAlternatingRowColors(alternatingRowColors());
    m_frozen->verticalHeader()->setDefaultSectionSize(verticalHeader()->defaultSectionSize());
    if (model) {
        // A reset or new columns bring hidden sections back: hide them again.
        connect(model, &QAbstractItemModel::modelReset, this, &FrozenColumnsView::syncColumns);
        connect(model, &QAbstractItemModel::columnsInserted, this, &FrozenColumnsView::syncColumns);
        connect(model, &QAbstractItemModel::layoutChanged, this, &FrozenColumnsView::syncColumns);
    }
    syncColumns();
}

void FrozenColumnsView::syncColumns()
{
    if (!model())
        return;
    m_frozen->verticalHeader()->setDefaultSectionSize(verticalHeader()->defaultSectionSize());
    for (int c = 0; c < model()->columnCount(); ++c) {
        m_frozen->setColumnHidden(c, c >= m_count);
        if (c < m_count)
            m_frozen->setColumnWidth(c, columnWidth(c));
    }
    placeOverlay();
}

int FrozenColumnsView::frozenWidth() const
{
    int w = 0;
    for (int c = 0; c < m_count && model() && c < model()->columnCount(); ++c)
        if (!isColumnHidden(c))
            w += columnWidth(c);
    return w;
}

void FrozenColumnsView::placeOverlay()
{
    const int x = verticalHeader()->isVisible() ? verticalHeader()->width() : 0;
    m_frozen->setGeometry(
        x + frameWidth(), frameWidth(), frozenWidth(), viewport()->height() + horizontalHeader()->height());
    m_frozen->setVisible(m_count > 0 && model() && frozenWidth() > 0);
}

void FrozenColumnsView::resizeEvent(QResizeEvent* event)
{
    QTableView::resizeEvent(event);
    placeOverlay();
}

void FrozenColumnsView::updateGeometries()
{
    QTableView::updateGeometries();
    placeOverlay();
}

QModelIndex FrozenColumnsView::moveCursor(CursorAction action, Qt::KeyboardModifiers modifiers)
{
    // Moving left onto a column hidden under the overlay scrolls it out from under it.
    const QModelIndex current = QTableView::moveCursor(action, modifiers);
    if (action == MoveLeft && current.column() >= m_count
        && visualRect(current).topLeft().x() < m_frozen->columnViewportPosition(m_count - 1) + frozenWidth()) {
        const int shift = visualRect(current).topLeft().x() - frozenWidth();
        horizontalScrollBar()->setValue(horizontalScrollBar()->value() + shift);
    }
    return current;
}

void FrozenColumnsView::scrollTo(const QModelIndex& index, ScrollHint hint)
{
    // A frozen cell is always in view sideways: scroll only vertically for it.
    if (index.column() >= m_count) {
        QTableView::scrollTo(index, hint);
        return;
    }
    const int keep = horizontalScrollBar()->value();
    QTableView::scrollTo(index, hint);
    horizontalScrollBar()->setValue(keep);
}

} // namespace deltascope::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#include "degradation/DisagreementsView.h"

#include "common/TableWidths.h"
#include "degradation/DisagreementModel.h"
#include "degradation/DisagreementProxy.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QShortcut>
#include <QTableView>
#include <QVBoxLayout>

namespace deltascope::ui {

DisagreementsView::DisagreementsView(QWidget* parent)
    : QWidget(parent)
    , m_model(new DisagreementModel(this))
    , m_proxy(new DisagreementProxy(this))
    , m_table(new QTableView(this))
    , m_direction(new QComboBox(this))
    , m_filter(new QLineEdit(this))
    , m_allPairs(new QCheckBox(tr("all pairs"), this))
    , m_count(new QLabel(this))
{
    m_proxy->setSourceModel(m_model);
    m_table->setModel(m_proxy);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideMiddle);
    m_table->setTabKeyNavigation(false); // Tab leaves the table; arrows move within it
    m_table->setSortingEnabled(false); // sorting 100,000 ids on load is not worth the wait; a click sorts
    m_table->horizontalHeader()->setSectionsClickable(true);
    connect(m_table->horizontalHeader(), &QHeaderView::sectionClicked, this, [this](int column) {
        const auto order = m_proxy->sortColumn() == column && m_proxy->sortOrder() == Qt::AscendingOrder
            ? Qt::DescendingOrder
            : Qt::AscendingOrder;
        m_proxy->sort(column, order);
        m_table->horizontalHeader()->setSortIndicatorShown(true);
        m_table->horizontalHeader()->setSortIndicator(column, order);
    });
    // Short names, so that the whole choice shows beside the filter on a laptop screen.
    m_direction->addItems({ tr("all changes"), tr("regressions"), tr("improvements") });
    m_direction->setToolTip(tr("Which pairs to list: regressions (the baseline scored better), improvements (the "
                               "candidate scored better), or both"));
    m_filter->setPlaceholderText(tr("Filter by doc id or task…"));
    m_filter->setClearButtonEnabled(true);
    // Narrow enough that the sample beside the table keeps room on a laptop screen.
    m_filter->setMinimumWidth(110);
    m_direction->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_direction->setMinimumContentsLength(12);
    auto* find = new QShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F), this);
    connect(find, &QShortcut::activated, this, [this] {
        m_filter->setFocus();
        m_filter->selectAll();
    });
    m_allPairs->setToolTip(tr("List every pair, not only those whose scores differ"));
    connect(m_direction, &QComboBox::currentIndexChanged, this,
        [this](int i) { keepCurrent([&] { m_proxy->setDirection(static_cast<DisagreementProxy::Direction>(i)); }); });
    connect(m_filter, &QLineEdit::textChanged, this,
        [this](const QString& t) { keepCurrent([&] { m_proxy->setText(t); }); });
    connect(m_allPairs, &QCheckBox::toggled, this, [this](bool all) {
        // The first choice names what it lists: with "all pairs" the agreeing ones too.
        m_direction->setItemText(0, all ? tr("every pair") : tr("all changes"));
        keepCurrent([&] { m_model->setComparison(m_comparison, all); }, true);
    });
    connect(
        m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &DisagreementsView::onCurrentChanged);

    // Tab goes through the bar's filters before the table they filter (the table was made first).
    QWidget::setTabOrder(m_direction, m_filter);
    QWidget::setTabOrder(m_filter, m_allPairs);
    QWidget::setTabOrder(m_allPairs, m_table);
    auto* bar = new QHBoxLayout;
    bar->addWidget(m_direction);
    bar->addWidget(m_filter, 1);
    bar->addWidget(m_allPairs);
    // The count wraps rather than widen the pane when it says why nothing is listed.
    m_count->setWordWrap(true);
    bar->addWidget(m_count);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_table, 1);
}

void DisagreementsView::setComparison(ComparisonPtr c, bool samePairs)
{
    m_comparison = std::move(c);
    if (!samePairs) {
        m_model->setComparison(m_comparison, m_allPairs->isChecked());
        m_sent.reset();
        emit cleared();
        // The first flipped sample is open from the start: the question is always "what changed?"
        if (m_proxy->rowCount() > 0) {
            m_table->setCurrentIndex(m_proxy->index(0, 0));
            m_table->scrollTo(m_table->currentIndex());
        }
    }
    updateCount();
}

void DisagreementsView::setTasks(std::optional<QSet<int>> tasks)
{
    keepCurrent([&] { m_proxy->setTasks(std::move(tasks)); });
}

void DisagreementsView::keepCurrent(const std::function<void()>& change, bool rebuilt)
{
    int sourceRow = -1;
    std::optional<std::pair<std::uint32_t, std::uint32_t>> shown;
    if (const QModelIndex i = m_table->currentIndex(); i.isValid() && m_comparison) {
        sourceRow = m_proxy->mapToSource(i).row();
        const auto& d = m_model->rowAt(sourceRow);
        shown.emplace(d.task, d.pair);
    }
    change();
    QModelIndex now;
    if (shown && !rebuilt) {
        now = m_proxy->mapFromSource(m_model->index(sourceRow, 0));
    } else if (shown) {
        for (int r = 0; r < m_model->rowCount(); ++r)
            if (const auto& d = m_model->rowAt(r); d.task == shown->first && d.pair == shown->second) {
                now = m_proxy->mapFromSource(m_model->index(r, 0));
                break;
            }
    }
    if (!now.isValid() && m_proxy->rowCount() > 0)
        now = m_proxy->index(0, 0);
    if (now.isValid()) {
        m_table->selectionModel()->setCurrentIndex(
            now, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        onCurrentChanged(); // the same row as before the change emits nothing
    } else {
        m_table->selectionModel()->clear();
        m_sent.reset();
        emit cleared();
    }
    updateCount();
}

void DisagreementsView::updateCount()
{
    const int rows = m_proxy->rowCount();
    QString count;
    const bool direction = m_direction->currentIndex() != 0;
    const bool tasks = m_proxy->tasksRestricted();
    if (m_comparison)
        count = rows > 0                  ? (rows == 1 ? tr("1 row") : tr("%1 rows").arg(QLocale().toString(rows)))
            : !m_filter->text().isEmpty() ? tr("no row matches \"%1\"").arg(m_filter->text())
            : m_model->rowCount() == 0    ? tr("no rows")
            : direction && tasks          ? tr("none in this direction in the tasks shown")
            : direction                   ? tr("none in this direction")
                                          : tr("none in the tasks shown");
    m_count->setText(count);
    // A count keeps its one line; an explanation wraps at the width of a count.
    m_count->setMinimumWidth(
        m_count->fontMetrics().horizontalAdvance(rows > 0 ? count : QStringLiteral("0,000 rows")) + 2);
    // Columns fit what is shown now (another task's ids may be wider), and the current sample
    // stays in view.
    // Narrow beside the sample: a long task name (HELM's carry their arguments) takes at most a
    // quarter of the table, cut in the middle; the sample's heading names it whole.
    fitColumns(m_table, 0.25, 90);
    if (m_table->currentIndex().isValid())
        m_table->scrollTo(m_table->currentIndex());
}

void DisagreementsView::onCurrentChanged()
{
    const QModelIndex i = m_table->currentIndex();
    if (!i.isValid() || !m_comparison) {
        m_sent.reset();
        emit cleared();
        return;
    }
    const auto& d = m_model->rowAt(m_proxy->mapToSource(i).row());
    if (m_sent && m_sent->first == d.task && m_sent->second == d.pair)
        return;
    m_sent.emplace(d.task, d.pair);
    emit pairSelected(static_cast<int>(d.task), static_cast<int>(d.pair));
}

std::vector<report::Disagreement> DisagreementsView::visibleRows() const
{
    std::vector<report::Disagreement> rows;
    rows.reserve(static_cast<std::size_t>(m_proxy->rowCount()));
    for (int r = 0; r < m_proxy->rowCount(); ++r)
        rows.push_back(m_model->rowAt(m_proxy->mapToSource(m_proxy->index(r, 0)).row()));
    return rows;
}

int DisagreementsView::rowCount() const
{
    return m_proxy->rowCount();
}

QString DisagreementsView::filterText() const
{
    return m_filter->text();
}

int DisagreementsView::direction() const
{
    return m_direction->currentIndex();
}

bool DisagreementsView::allPairs() const
{
    return m_allPairs->isChecked();
}

void DisagreementsView::setFilters(const QString& text, int direction, bool allPairs)
{
    m_filter->setText(text);
    if (direction >= 0 && direction < m_direction->count())
        m_direction->setCurrentIndex(direction);
    m_allPairs->setChecked(allPairs);
}

} // namespace deltascope::ui

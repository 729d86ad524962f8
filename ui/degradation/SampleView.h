// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/TextDiff.h"
#include "degradation/Comparison.h"

#include <QWidget>

class QLabel;
class QSplitter;
class QTextBrowser;

namespace deltascope::ui {

/// One pair side by side: prompt and target, then each model's response and filtered answer with
/// the differences marked, the metric values and the hashes.
class SampleView : public QWidget {
    Q_OBJECT
public:
    explicit SampleView(QWidget* parent = nullptr);

    void showPair(const ComparisonPtr& c, std::uint32_t task, std::uint32_t pair);
    void clear();

    /// The narrowest width at which the two sides stand side by side; below it the candidate's
    /// side goes under the baseline's, so that neither heading breaks inside a word.
    int sideBySideWidth() const;
    /// Whether the two sides stand side by side now.
    bool sidesSideBySide() const;

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    QLabel* m_header;
    QSplitter* m_sides;
    QTextBrowser* m_prompt;
    QTextBrowser* m_base;
    QTextBrowser* m_cand;
};

/// HTML of a text with the spans one side does not share marked (exposed for tests).
QString markedHtml(const std::string& text, const std::vector<DiffSpan>& spans, const QColor& mark);

} // namespace deltascope::ui

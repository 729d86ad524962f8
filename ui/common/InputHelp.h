// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

class QLabel;

namespace deltascope::ui {

/// "How to produce these files": the commands that write what each workspace reads, as HTML.
QString inputHelpHtml();
/// Shows the page in a window of its own (not modal; one at a time).
void showInputHelp(QWidget* parent);

/// What an empty workspace shows: what to drop where, a link that opens the demo and one that
/// opens the help page.
class WelcomePanel : public QWidget {
    Q_OBJECT
public:
    /// `body` is rich text; links "#demo" and "#help" are answered here.
    WelcomePanel(const QString& title, const QString& body, QWidget* parent = nullptr);
    QString text() const;

signals:
    void demoRequested();

private:
    QLabel* m_text;
};

} // namespace deltascope::ui

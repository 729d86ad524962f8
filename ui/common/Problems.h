// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"

#include <QString>
#include <QStringList>
#include <vector>

class QWidget;

namespace deltascope::ui {

/// "name:line: message" with the file named by its file name only (full paths belong in the
/// details), and the full path replaced in the message text too.
QString shortProblem(const Diagnostic& d);
/// The full "path:line: message".
QString fullProblem(const Diagnostic& d);

/// Groups messages that say the same about the same file: "samples_x.jsonl: 11 × skipped a
/// malformed record (lines 4, 9, 12, …)". At most `maxGroups` groups, then "and N more".
QString summarizeProblems(const std::vector<Diagnostic>& problems, int maxGroups = 5);

/// A warning dialog: the short error (or summary) in front, every message with its full path
/// under "Show Details…". Shown only when `parent` is visible.
void showProblemBox(QWidget* parent, const QString& title, const QString& text, const QStringList& details);
/// The same dialog with a way forward: a second button (`action`, such as "Import options…") beside
/// OK. True when the user pressed it; false for OK, or when `parent` is not visible.
bool askProblemBox(
    QWidget* parent, const QString& title, const QString& text, const QStringList& details, const QString& action);

} // namespace deltascope::ui

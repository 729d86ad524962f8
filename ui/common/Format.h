// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QColor>
#include <QString>

namespace deltascope::ui {

QString percent(double fraction); ///< 0.8123 -> "81.23%"
QString signedPoints(double fraction); ///< 0.0123 -> "+1.23 pts"
QString number(double v); ///< 4 significant digits; from 10^4 to 10^9 whole
QString signedNumber(double v);
QString pValue(double p); ///< 0.0123, 3.4e-07
QString duration(double seconds); ///< "3 s", "1 min 20 s"
/// Text from an input file as one visible line: control characters (a tab, a newline, an escape
/// inside an id) show as C escapes (\t, \n, \x1b) instead of moving or hiding the text.
QString visibleText(const QString& text);
/// Plain text whose long words (a HELM run name such as "bbq:subject=all,method=multiple_choice_joint")
/// may wrap after their separators (, = : / _): a zero-width space follows each, so that a label
/// wraps instead of widening its panel past the window. Shorter words are left as they are.
QString breakableText(const QString& text);

/// Colours that read on the current palette (light or dark).
QColor verdictColor(bool worse);
QColor warningColor();
QColor regressionColor();
QColor improvementColor();

} // namespace deltascope::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QTranslator>

namespace deltascope::ui {

/// The window's English without a translation file: a text counted with %n and written with
/// "(s)" ("%n warning(s)") reads "1 warning" or "3 warnings". Installed once on the application;
/// other texts pass through unchanged.
class EnglishPlurals : public QTranslator {
public:
    using QTranslator::QTranslator;
    bool isEmpty() const override { return false; }
    QString translate(
        const char* context, const char* sourceText, const char* disambiguation = nullptr, int n = -1) const override;
};

/// Installs one EnglishPlurals on the running application (a second call does nothing).
void installEnglishPlurals();

} // namespace deltascope::ui

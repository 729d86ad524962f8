// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/EnglishPlurals.h"

#include <QCoreApplication>

namespace deltascope::ui {

QString EnglishPlurals::translate(const char*, const char* sourceText, const char*, int n) const
{
    // Only counted texts change; a null string tells Qt to keep the source text.
    if (n < 0 || !sourceText)
        return {};
    QString text = QString::fromUtf8(sourceText);
    if (!text.contains(QLatin1String("(s)")))
        return {};
    return text.replace(QLatin1String("(s)"), n == 1 ? QString() : QStringLiteral("s"));
}

void installEnglishPlurals()
{
    auto* app = QCoreApplication::instance();
    if (!app || app->findChild<EnglishPlurals*>(QString(), Qt::FindDirectChildrenOnly))
        return;
    QCoreApplication::installTranslator(new EnglishPlurals(app));
}

} // namespace deltascope::ui

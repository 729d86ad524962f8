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
    const QString name = QStringLiteral("deltascopeEnglishPlurals");
    if (!app || app->findChild<QTranslator*>(name, Qt::FindDirectChildrenOnly))
        return;
    auto* plurals = new EnglishPlurals(app);
    plurals->setObjectName(name);
    QCoreApplication::installTranslator(plurals);
}

} // namespace deltascope::ui

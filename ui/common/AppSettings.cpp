// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/AppSettings.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>

namespace deltascope::ui {

namespace {

QSettings store()
{
    return QSettings(QStringLiteral("Deltascope"), QStringLiteral("Deltascope"));
}

} // namespace

QString RecentComparison::label() const
{
    const QFileInfo c(candidate);
    const QFileInfo b(baseline);
    // Runs in folders of one name (two models' "lm-eval" output folders, two "results.json") are
    // told apart by the folder above.
    if (c.fileName() == b.fileName())
        return c.dir().dirName() + QLatin1Char('/') + c.fileName() + QStringLiteral(" vs ") + b.dir().dirName()
            + QLatin1Char('/') + b.fileName();
    return c.fileName() + QStringLiteral(" vs ") + b.fileName();
}

AppSettings::AppSettings() = default;

QByteArray AppSettings::windowGeometry() const
{
    return store().value(QStringLiteral("window/geometry")).toByteArray();
}

void AppSettings::setWindowGeometry(const QByteArray& g)
{
    store().setValue(QStringLiteral("window/geometry"), g);
}

QByteArray AppSettings::windowState() const
{
    return store().value(QStringLiteral("window/state")).toByteArray();
}

void AppSettings::setWindowState(const QByteArray& s)
{
    store().setValue(QStringLiteral("window/state"), s);
}

QByteArray AppSettings::splitterState(const QString& name) const
{
    return store().value(QStringLiteral("splitters/") + name).toByteArray();
}

void AppSettings::setSplitterState(const QString& name, const QByteArray& s)
{
    store().setValue(QStringLiteral("splitters/") + name, s);
}

QString AppSettings::lastDirectory() const
{
    return store().value(QStringLiteral("files/lastDirectory"), QDir::homePath()).toString();
}

void AppSettings::setLastDirectory(const QString& dir)
{
    store().setValue(QStringLiteral("files/lastDirectory"), dir);
}

QString AppSettings::lastExportDirectory() const
{
    const QString dir = store().value(QStringLiteral("files/lastExportDirectory")).toString();
    return dir.isEmpty() ? lastDirectory() : dir;
}

void AppSettings::setLastExportDirectory(const QString& dir)
{
    store().setValue(QStringLiteral("files/lastExportDirectory"), dir);
}

QList<RecentComparison> AppSettings::recentComparisons() const
{
    auto s = store();
    QList<RecentComparison> out;
    const int n = s.beginReadArray(QStringLiteral("recent"));
    for (int i = 0; i < n && i < kMaxRecent; ++i) {
        s.setArrayIndex(i);
        RecentComparison c { s.value(QStringLiteral("baseline")).toString(),
            s.value(QStringLiteral("candidate")).toString() };
        if (!c.baseline.isEmpty() && !c.candidate.isEmpty())
            out.append(c);
    }
    s.endArray();
    return out;
}

void AppSettings::addRecentComparison(const RecentComparison& c)
{
    auto list = recentComparisons();
    list.removeIf([&](const RecentComparison& r) { return r.baseline == c.baseline && r.candidate == c.candidate; });
    list.prepend(c);
    while (list.size() > kMaxRecent)
        list.removeLast();
    auto s = store();
    s.beginWriteArray(QStringLiteral("recent"), static_cast<int>(list.size()));
    for (int i = 0; i < list.size(); ++i) {
        s.setArrayIndex(i);
        s.setValue(QStringLiteral("baseline"), list[i].baseline);
        s.setValue(QStringLiteral("candidate"), list[i].candidate);
    }
    s.endArray();
}

QStringList AppSettings::recentTraces() const
{
    return store().value(QStringLiteral("recentTraces")).toStringList().mid(0, kMaxRecent);
}

void AppSettings::addRecentTrace(const QString& path)
{
    QStringList list = recentTraces();
    list.removeAll(path);
    list.prepend(path);
    store().setValue(QStringLiteral("recentTraces"), list.mid(0, kMaxRecent));
}

} // namespace deltascope::ui

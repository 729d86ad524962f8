// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace deltascope::ui {

/// A comparison the user ran, for the recent list.
struct RecentComparison {
    QString baseline;
    QString candidate;
    QString label() const;
};

/// Every setting the application keeps between runs, typed, in one place (QSettings underneath).
class AppSettings {
public:
    AppSettings();

    QByteArray windowGeometry() const;
    void setWindowGeometry(const QByteArray& g);
    QByteArray windowState() const;
    void setWindowState(const QByteArray& s);
    QByteArray splitterState(const QString& name) const;
    void setSplitterState(const QString& name, const QByteArray& s);

    /// The folder the last input was opened from (runs, traces, counts, workspaces).
    QString lastDirectory() const;
    void setLastDirectory(const QString& dir);
    /// The folder the last export was written to; until one is, the inputs' folder. Kept apart,
    /// so that opening a run does not start in the reports' folder, nor an export in a run's.
    QString lastExportDirectory() const;
    void setLastExportDirectory(const QString& dir);

    QList<RecentComparison> recentComparisons() const;
    void addRecentComparison(const RecentComparison& c); ///< newest first, at most 10, no repeats

    QStringList recentTraces() const;
    void addRecentTrace(const QString& path); ///< newest first, at most 10, no repeats

    static constexpr int kMaxRecent = 10;
};

} // namespace deltascope::ui

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>
#include <QtTest>
#include <string>

namespace deltascope::test {

inline std::string dataPath(const char* relative)
{
    return std::string(DELTASCOPE_TEST_DATA) + "/" + relative;
}

inline std::string sharedPath(const char* relative)
{
    return std::string(DELTASCOPE_SHARED_DATA) + "/" + relative;
}

/// The scipy reference vectors (tests/data/stats/vectors.json, made by make_vectors.py).
inline QJsonObject vectors()
{
    QFile f(QString::fromStdString(dataPath("stats/vectors.json")));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot open the reference vectors");
    return QJsonDocument::fromJson(f.readAll()).object();
}

/// Relative closeness for p-values that span hundreds of orders of magnitude.
inline bool closeRel(double actual, double expected, double rel = 1e-9)
{
    if (expected == 0.0)
        return actual == 0.0 || std::abs(actual) < 1e-300;
    return std::abs(actual - expected) <= rel * std::abs(expected);
}

} // namespace deltascope::test

#define DS_COMPARE_REL(actual, expected, rel)                                                                          \
    do {                                                                                                               \
        const double a_ = (actual);                                                                                    \
        const double e_ = (expected);                                                                                  \
        if (!deltascope::test::closeRel(a_, e_, rel))                                                                  \
            QFAIL(qPrintable(QStringLiteral("%1 = %2, expected %3 (relative tolerance %4)")                            \
                                 .arg(QStringLiteral(#actual))                                                         \
                                 .arg(a_, 0, 'g', 17)                                                                  \
                                 .arg(e_, 0, 'g', 17)                                                                  \
                                 .arg(rel)));                                                                          \
    } while (0)

#include <QDir>
#include <QTemporaryDir>

namespace deltascope::test {

/// Writes a small fixture file into dir and returns its path.
inline std::string writeFile(const QTemporaryDir& dir, const QString& name, const QByteArray& content)
{
    const QString path = dir.filePath(name);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        qFatal("cannot write a fixture");
    f.write(content);
    return path.toStdString();
}

} // namespace deltascope::test

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Runs the built deltascope-cli (DELTASCOPE_CLI) and a fixture path as QString, for the suites that
// check the command line.
#include "TestData.h"

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace deltascope::test {

struct CliRun {
    int exitCode = -1; ///< -1 when the program crashed
    QByteArray out;
    QByteArray err;
};

inline CliRun cli(const QStringList& args)
{
    QProcess p;
    p.start(QStringLiteral(DELTASCOPE_CLI), args);
    if (!p.waitForFinished(120000))
        qFatal("deltascope-cli did not finish");
    return { p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
        p.readAllStandardError() };
}

inline QString fixture(const char* relative)
{
    return QString::fromStdString(dataPath(relative));
}

} // namespace deltascope::test

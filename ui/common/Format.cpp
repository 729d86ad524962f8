// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/Format.h"

#include <QGuiApplication>
#include <QPalette>
#include <cmath>

namespace deltascope::ui {

namespace {

bool darkPalette()
{
    return QGuiApplication::palette().color(QPalette::Window).lightness() < 128;
}

} // namespace

QString percent(double fraction)
{
    return QString::number(100.0 * fraction, 'f', 2) + QLatin1Char('%');
}

QString signedPoints(double fraction)
{
    const double p = 100.0 * fraction;
    return (p >= 0 ? QStringLiteral("+") : QString()) + QString::number(p, 'f', 2) + QStringLiteral(" pts");
}

QString number(double v)
{
    // A large value is written out whole (-14951, not -1.495e+04), so that a column of scores such
    // as log-likelihoods reads alike.
    if (std::isfinite(v) && std::abs(v) >= 1e4 && std::abs(v) < 1e9)
        return QString::number(v, 'f', 0);
    return QString::number(v, 'g', 4);
}

QString signedNumber(double v)
{
    return (v >= 0 ? QStringLiteral("+") : QString()) + number(v);
}

QString pValue(double p)
{
    if (!std::isfinite(p))
        return QStringLiteral("-");
    if (p >= 0.001)
        return QString::number(p, 'f', 4);
    return QString::number(p, 'e', 2);
}

QString duration(double seconds)
{
    if (seconds < 0)
        return QString();
    if (seconds < 10)
        return QStringLiteral("%1 s").arg(seconds, 0, 'f', 1);
    if (seconds < 60)
        return QStringLiteral("%1 s").arg(qRound(seconds));
    const int s = qRound(seconds);
    return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60);
}

// Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
QColor verdictColor(bool worse)
{
    if (worse)
        return darkPalette() ? QColor(0xf0, 0x7c, 0x5c) : QColor(0xd5, 0x5e, 0x00);
    return darkPalette() ? QColor(0x56, 0xb4, 0xe9) : QColor(0x00, 0x72, 0xb2);
}

QColor warningColor()
{
    return darkPalette() ? QColor(0xf0, 0xe4, 0x42) : QColor(0xa0, 0x6a, 0x00);
}

QColor regressionColor()
{
    return verdictColor(true);
}

QColor improvementColor()
{
    return darkPalette() ? QColor(0x2e, 0xc4, 0x9a) : QColor(0x00, 0x9e, 0x73);
}

QString visibleText(const QString& text)
{
    // Escapes as C writes them: every font has a backslash (few have the control pictures).
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        if (u == '\t')
            out += QStringLiteral("\\t");
        else if (u == '\n')
            out += QStringLiteral("\\n");
        else if (u == '\r')
            out += QStringLiteral("\\r");
        else if (u < 0x20 || u == 0x7f)
            out += QStringLiteral("\\x%1").arg(int(u), 2, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return out;
}

QString breakableText(const QString& text)
{
    constexpr int kLongWord = 24; // characters: shorter words wrap as whole words
    constexpr QChar kBreak(0x200B);
    QString out;
    out.reserve(text.size() + 16);
    qsizetype start = 0;
    while (start < text.size()) {
        qsizetype end = start;
        while (end < text.size() && !text[end].isSpace())
            ++end;
        const QStringView word = QStringView(text).mid(start, end - start);
        if (word.size() >= kLongWord) {
            for (qsizetype i = 0; i < word.size(); ++i) {
                out += word[i];
                if (i + 1 < word.size() && QStringView(u",=:/_").contains(word[i]))
                    out += kBreak;
            }
        } else {
            out += word;
        }
        while (end < text.size() && text[end].isSpace())
            out += text[end++];
        start = end;
    }
    return out;
}

} // namespace deltascope::ui

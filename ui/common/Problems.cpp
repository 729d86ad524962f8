// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/Problems.h"

#include <QFileInfo>
#include <QMap>
#include <QMessageBox>
#include <QPushButton>

namespace deltascope::ui {

namespace {

QString fileName(const std::string& path)
{
    return QFileInfo(QString::fromStdString(path)).fileName();
}

QString messageOf(const Diagnostic& d)
{
    QString text = QString::fromStdString(d.message);
    if (!d.file.empty())
        text.replace(QString::fromStdString(d.file), fileName(d.file));
    return text;
}

} // namespace

QString shortProblem(const Diagnostic& d)
{
    if (d.file.empty())
        return messageOf(d);
    const QString where = d.line > 0 ? QStringLiteral("%1:%2").arg(fileName(d.file)).arg(d.line) : fileName(d.file);
    return QStringLiteral("%1: %2").arg(where, messageOf(d));
}

QString fullProblem(const Diagnostic& d)
{
    return QString::fromStdString(d.toString());
}

QString summarizeProblems(const std::vector<Diagnostic>& problems, int maxGroups)
{
    struct Group {
        int count = 0;
        QStringList lines;
    };
    // Keyed by file and message: the same complaint about one file is one line with its count.
    QMap<QPair<QString, QString>, Group> groups;
    QList<QPair<QString, QString>> order;
    for (const auto& d : problems) {
        const QPair<QString, QString> key { fileName(d.file), messageOf(d) };
        auto it = groups.find(key);
        if (it == groups.end()) {
            it = groups.insert(key, {});
            order << key;
        }
        ++it->count;
        if (d.line > 0 && it->lines.size() < 4)
            it->lines << QString::number(d.line);
    }
    QStringList out;
    for (int i = 0; i < order.size() && i < maxGroups; ++i) {
        const auto& [file, message] = order[i];
        const Group& g = groups[order[i]];
        QString line = file.isEmpty() ? QString() : file + QStringLiteral(": ");
        // "the first is on this line" reads as the line it names, not beside "(line 151)".
        QString said = message;
        const QString here = QStringLiteral("the first is on this line");
        const bool named = g.count == 1 && g.lines.size() == 1 && said.contains(here);
        if (named)
            said.replace(here, QObject::tr("the first is on line %1").arg(g.lines.front()));
        line += g.count > 1 ? QStringLiteral("%1 × %2").arg(g.count).arg(said) : said;
        if (!g.lines.isEmpty() && !named)
            line += QObject::tr(" (line %1%2)")
                        .arg(g.lines.join(QStringLiteral(", ")),
                            g.count > g.lines.size() ? QStringLiteral(", …") : QString());
        out << line;
    }
    if (order.size() > maxGroups)
        out << QObject::tr("and %n more kind(s) of message", "", int(order.size() - maxGroups));
    // Several messages each start a line of their own, so that long ones do not run together.
    if (out.size() > 1)
        for (auto& line : out)
            line.prepend(QStringLiteral("• "));
    return out.join(QLatin1Char('\n'));
}

void showProblemBox(QWidget* parent, const QString& title, const QString& text, const QStringList& details)
{
    if (!parent || !parent->isVisible())
        return;
    QMessageBox box(QMessageBox::Warning, title, text, QMessageBox::Ok, parent);
    if (!details.isEmpty())
        box.setDetailedText(details.join(QLatin1Char('\n')));
    box.exec();
}

bool askProblemBox(
    QWidget* parent, const QString& title, const QString& text, const QStringList& details, const QString& action)
{
    if (!parent || !parent->isVisible())
        return false;
    QMessageBox box(QMessageBox::Warning, title, text, QMessageBox::Ok, parent);
    if (!details.isEmpty())
        box.setDetailedText(details.join(QLatin1Char('\n')));
    QPushButton* forward = box.addButton(action, QMessageBox::ActionRole);
    // Enter closes the box, as in every other message; the action is a click away.
    box.setDefaultButton(QMessageBox::Ok);
    box.exec();
    return box.clickedButton() == forward;
}

} // namespace deltascope::ui

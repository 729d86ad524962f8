// SPDX-License-Identifier: GPL-3.0-or-later
// What the Degradation page says when inputs fail or warn: the failed load (with the choice to
// skip malformed records) and the warnings dialog.
#include "common/Problems.h"
#include "degradation/DegradationPage.h"
#include "degradation/DropZone.h"
#include "degradation/TaskTableModel.h"

#include <QFileInfo>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QStringList>

namespace deltascope::ui {

void DegradationPage::onLoadFailed(const Diagnostic& error, bool skippingBadLines, bool keptShown)
{
    // A comparison shown stays, and the boxes and the menu go back to the inputs it was made with
    // (a broken file or a mistyped task name must not cost the user the result they were
    // reading, nor leave it under the names of other files). With nothing shown before, or a
    // workspace's runs, nothing is shown.
    if (!keptShown)
        setComparison(nullptr);
    m_lastError = fullProblem(error);
    if (keptShown && error.unpaired && keepNewSide())
        return;
    const QString brief = shortProblem(error);
    const QString kept = tr("The comparison shown is still that of the inputs before.");
    const auto restoreInputs = [this, keptShown] {
        if (keptShown)
            restoreShownInputs();
    };
    emit statusMessage(keptShown ? tr("Could not compare with the new inputs: %1. %2").arg(brief, kept)
                                 : tr("Could not compare: %1").arg(brief));
    if (!isVisible()) {
        restoreInputs();
        return;
    }
    // The load is over: no progress bar left at its last figure behind the question.
    m_progressRow->hide();
    // A malformed record: the user chooses to skip such records or stop. Other problems (a file
    // that is not JSON, a missing column, a task not in the run) are not helped by skipping.
    if (!error.skippable || skippingBadLines) {
        restoreInputs();
        showProblemBox(
            this, tr("Could not compare"), keptShown ? brief + QStringLiteral("\n\n") + kept : brief, { m_lastError });
        return;
    }
    QMessageBox box(QMessageBox::Warning, tr("Malformed record"),
        tr("%1\n\nSkip malformed records (each is listed as a warning) and go on, or stop?").arg(brief),
        QMessageBox::NoButton, this);
    box.setObjectName(QStringLiteral("malformedRecordBox"));
    box.setDetailedText(m_lastError);
    auto* skip = box.addButton(tr("Skip bad lines"), QMessageBox::AcceptRole);
    box.addButton(tr("Stop"), QMessageBox::RejectRole);
    box.exec();
    if (box.clickedButton() == skip) {
        m_skipBadLines = true;
        m_base.options.skipBadLines = true;
        m_cand.options.skipBadLines = true;
        startLoad(keptShown);
        return;
    }
    restoreInputs();
}

bool DegradationPage::keepNewSide()
{
    // One side of the comparison shown was changed, and the new run shares no sample with the
    // other side's: most likely the first half of a new pair. The new run stays chosen and the
    // other side asks for its partner; the comparison shown stays until the pair is complete.
    const bool baseNew = m_base.path != m_shownBase.path;
    const bool candNew = m_cand.path != m_shownCand.path;
    if (baseNew == candNew)
        return false;
    m_progressRow->hide();
    DropZone* other = baseNew ? m_candZone : m_baseZone;
    const QString chosen = QFileInfo(baseNew ? m_base.path : m_cand.path).fileName();
    const QString ask = baseNew ? tr("shares no sample with the new baseline: choose its candidate")
                                : tr("shares no sample with the new candidate: choose its baseline");
    other->setPath(other->path(), ask);
    emit statusMessage(
        tr("%1 shares no sample with %2: choose the %3 to compare it with. The comparison shown is "
           "still that of the inputs before.")
            .arg(chosen, QFileInfo(other->path()).fileName(), baseNew ? tr("candidate") : tr("baseline")));
    return true;
}

void DegradationPage::showWarnings()
{
    if (!m_comparison)
        return;
    std::vector<Diagnostic> all = m_comparison->report.warnings;
    QStringList lines;
    for (const auto& w : m_comparison->report.warnings)
        lines << fullProblem(w);
    for (const auto& t : m_comparison->report.tasks)
        for (const auto& w : t.warnings) {
            all.push_back(w);
            lines << QString::fromStdString(t.key()) + QStringLiteral(": ") + fullProblem(w);
        }
    QMessageBox box(QMessageBox::Information, tr("Warnings"),
        (lines.size() == 1
                ? tr("1 warning about the inputs. It does not stop the comparison; read it before trusting it.")
                : tr("%n warnings about the inputs. They do not stop the comparison; read them before trusting it.", "",
                    int(lines.size())))
            + QStringLiteral("\n\n") + summarizeProblems(all),
        QMessageBox::Ok, this);
    box.setDetailedText(lines.join(QLatin1Char('\n')));
    box.exec();
}

} // namespace deltascope::ui

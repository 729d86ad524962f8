// SPDX-License-Identifier: GPL-3.0-or-later
#include "degradation/SideChoice.h"

#include "degradation/ColumnMappingDialog.h"
#include "degradation/RunPickerDialog.h"
#include "eval/RunDiscovery.h"
#include "eval/RunLoader.h"
#include "moe/TraceImport.h"

#include <QFile>
#include <QFileInfo>

namespace deltascope::ui {

namespace {

// Lm-eval output and score tables are text: a binary file (an image dropped by mistake) is refused
// before any dialog reads its first bytes as column names. The loader applies the same rule.
bool looksLikeText(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return true; // the loader says why it cannot be read
    const QByteArray head = f.read(1 << 16);
    qsizetype control = 0;
    for (const char ch : head) {
        const auto u = static_cast<unsigned char>(ch);
        control += (u < 0x20 && u != '\n' && u != '\r' && u != '\t') || u == 0x7f ? 1 : 0;
    }
    return !head.contains('\0') && control * 100 <= head.size();
}

} // namespace

bool chooseSide(QWidget* parent, const QString& path, bool interactive, bool skipBadLines, SideSpec& spec,
    std::optional<Diagnostic>& error, ColumnSharing* sharing, const QString& side)
{
    const std::string p = path.toStdString();
    // Nothing to read, and no columns to offer: said at once, as the command line says it.
    if (const QFileInfo info(path); info.isFile() && info.size() == 0) {
        error = Diagnostic::error(p, 0, "the file is empty");
        return false;
    }
    const auto format = eval::detectFormat(p);
    // Inspect's .eval logs are zip archives: the one binary input.
    if (QFileInfo(path).isFile() && format != eval::LoadOptions::Format::Inspect && !looksLikeText(path)) {
        error = Diagnostic::error(path.toStdString(), 0,
            "not a text file: expected lm-eval output, an Inspect log, or a CSV or JSONL table of ids and scores");
        return false;
    }
    if (format == eval::LoadOptions::Format::Table && QFileInfo(path).isFile()) {
        // Router records dropped on a run's box: said, rather than offered as columns to pick.
        QFile f(path);
        const std::string head = f.open(QIODevice::ReadOnly) ? f.read(1 << 20).toStdString() : std::string();
        if (moe::looksLikeRouterRecords(head)) {
            error = Diagnostic::error(p, 1,
                "this is a router trace (each token's experts per layer), not evaluation results: open it in the "
                "Expert sharing tab");
            return false;
        }
    }
    spec = {};
    spec.path = path;
    spec.options.skipBadLines = skipBadLines;
    if (format == eval::LoadOptions::Format::Table) {
        spec.options.format = eval::LoadOptions::Format::Table;
        const bool isFile = QFileInfo(path).isFile();
        const bool reuse = sharing && sharing->forBothSides && sharing->columns && isFile
            && ColumnMappingDialog::fits(path, *sharing->columns);
        if (reuse) {
            spec.options.columns = *sharing->columns;
        } else if (interactive && isFile) {
            ColumnMappingDialog dialog(path, parent, sharing && sharing->columns ? &*sharing->columns : nullptr, side);
            if (dialog.exec() != QDialog::Accepted)
                return false;
            spec.options.columns = dialog.columns();
            if (sharing) {
                sharing->columns = spec.options.columns;
                sharing->forBothSides = dialog.useForBothSides();
            }
        }
    } else if (QFileInfo(path).isDir()) {
        auto runs = eval::discoverRuns(p);
        if (runs.ok() && runs.value->size() > 1 && !eval::formsOneRun(*runs.value)) {
            // Several runs of one model: the newest unless the user picks; several models: ask.
            // (One model's HELM runs or Inspect logs of several tasks are one run: no question.)
            auto chosen = eval::chooseRun(*runs.value, p, {});
            if (interactive) {
                RunPickerDialog picker(path, *runs.value, parent);
                if (picker.exec() != QDialog::Accepted || picker.chosen() < 0)
                    return false;
                spec.options.runTimestamp = (*runs.value)[static_cast<std::size_t>(picker.chosen())].key();
            } else if (chosen.ok()) {
                spec.options.runTimestamp = chosen.value->key();
            }
        }
    }
    return true;
}

workspace::SideState sideState(const SideSpec& spec)
{
    workspace::SideState s;
    s.path = spec.path.toStdString();
    using F = eval::LoadOptions::Format;
    s.format = spec.options.format == F::Table ? "table"
        : spec.options.format == F::LmEval     ? "lm-eval"
        : spec.options.format == F::Inspect    ? "inspect"
                                               : "auto";
    s.runTimestamp = spec.options.runTimestamp;
    s.idColumn = spec.options.columns.id;
    s.scoreColumn = spec.options.columns.score;
    s.taskColumn = spec.options.columns.task;
    s.filterColumn = spec.options.columns.filter;
    return s;
}

SideSpec sideSpec(const workspace::SideState& s, bool skipBadLines)
{
    SideSpec spec;
    spec.path = QString::fromStdString(s.path);
    using F = eval::LoadOptions::Format;
    spec.options.format = s.format == "table" ? F::Table
        : s.format == "lm-eval"               ? F::LmEval
        : s.format == "inspect"               ? F::Inspect
                                              : F::Auto;
    spec.options.runTimestamp = s.runTimestamp;
    spec.options.columns.id = s.idColumn;
    spec.options.columns.score = s.scoreColumn;
    spec.options.columns.task = s.taskColumn;
    spec.options.columns.filter = s.filterColumn;
    spec.options.skipBadLines = skipBadLines;
    return spec;
}

} // namespace deltascope::ui

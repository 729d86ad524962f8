// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Workspace.h"
#include "degradation/Comparison.h"

#include <optional>

class QWidget;

namespace deltascope::ui {

/// The column mapping one side's table was read with, offered to the other side.
struct ColumnSharing {
    std::optional<eval::TableColumns> columns;
    bool forBothSides = false; ///< the user asked for the same mapping on both sides
};

/// How one side of a comparison is read, from the path the user chose: a binary file is refused
/// (before any dialog reads its bytes as column names); a score table gets its columns (asked
/// when `interactive`, else guessed by the loader; with `sharing`, the other side's mapping is
/// taken without asking when the user chose it for both sides and this table has its columns, and
/// is the dialog's starting point otherwise); a folder of several runs gets its run (asked, else
/// the newest). False when refused (`error` says why) or when the user cancelled a dialog.
/// `side` ("baseline", "candidate") is named in the dialogs.
bool chooseSide(QWidget* parent, const QString& path, bool interactive, bool skipBadLines, SideSpec& spec,
    std::optional<Diagnostic>& error, ColumnSharing* sharing = nullptr, const QString& side = {});

/// A side as a saved workspace keeps it, and back.
workspace::SideState sideState(const SideSpec& spec);
SideSpec sideSpec(const workspace::SideState& state, bool skipBadLines);

} // namespace deltascope::ui

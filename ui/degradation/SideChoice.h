#pragma once

#include "common/Workspace.h"
#include "degradation/Comparison.h"

#include <optional>

class QWidget;

namespace deltascope::ui {

/// How one side of a comparison is read, from the path the user chose: a binary file is refused
/// (before any dialog reads its bytes as column names); a score table gets its columns (asked
/// when `interactive`, else guessed by the loader); a folder of several runs gets its run (asked,
/// else the newest). False when refused (`error` says why) or when the user cancelled a dialog.
bool chooseSide(QWidget* parent, const QString& path, bool interactive, bool skipBadLines, SideSpec& spec,
    std::optional<Diagnostic>& error);

/// A side as a saved workspace keeps it, and back.
workspace::SideState sideState(const SideSpec& spec);
SideSpec sideSpec(const workspace::SideState& state, bool skipBadLines);

} // namespace deltascope::ui

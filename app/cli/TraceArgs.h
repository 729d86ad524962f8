// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "Args.h"
#include "common/Diagnostic.h"
#include "moe/Trace.h"
#include "moe/TraceImport.h"

#include <cstdint>
#include <string>
#include <vector>

namespace deltascope::cli {

/// The import options every trace command takes, for --help.
extern const char* const kImportHelp;
/// Import options that take a value, and those that do not.
extern const std::vector<std::string> kImportValued;
extern const std::vector<std::string> kImportFlags;

/// Fills import options (and the model's k, 0 when not given) from the flags; false with a message
/// on a malformed value.
bool readImport(const Args& args, moe::TraceImportOptions& o, std::int64_t& topK, std::string& error);

/// Opens a trace with the import flags; its warnings go to stderr.
Result<moe::Trace> openFromArgs(const Args& args, const std::string& path, std::string& error);

/// "dense" or "sparse".
std::string kindOf(const moe::Trace& t);

/// Prints a failure on stderr and returns the error exit code.
int fail(const std::string& message);

} // namespace deltascope::cli

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace deltascope {

/// A message about an input, located by file and (when known) line.
struct Diagnostic {
    enum class Severity { Note, Warning, Error };

    Severity severity = Severity::Error;
    std::string file; ///< empty when the message is not about one file
    std::int64_t line = 0; ///< 1-based; 0 when not tied to a line
    std::string message;
    /// A malformed record that loading with skipBadLines (--skip-bad-lines) would leave out, with a
    /// warning; false for every other problem, which skipping does not help.
    bool skippable = false;
    /// Both runs were read, but no sample of one pairs with a sample of the other (two runs of
    /// different tasks or id schemes; or one side of a new pair chosen while the other is old).
    bool unpaired = false;

    static Diagnostic error(std::string file, std::int64_t line, std::string message)
    {
        return { Severity::Error, std::move(file), line, std::move(message) };
    }
    /// An error about one bad record, which skipping bad lines leaves out.
    static Diagnostic badRecord(std::string file, std::int64_t line, std::string message)
    {
        Diagnostic d = error(std::move(file), line, std::move(message));
        d.skippable = true;
        return d;
    }
    static Diagnostic warning(std::string file, std::int64_t line, std::string message)
    {
        return { Severity::Warning, std::move(file), line, std::move(message) };
    }
    static Diagnostic note(std::string file, std::int64_t line, std::string message)
    {
        return { Severity::Note, std::move(file), line, std::move(message) };
    }

    /// "file:line: message" (the form compilers use, so editors can jump to it).
    std::string toString() const;
};

/// The outcome of a parser or loader: a value and its warnings, or one fatal error.
template <typename T> struct Result {
    std::optional<T> value;
    std::vector<Diagnostic> warnings;
    std::optional<Diagnostic> error;

    bool ok() const { return value.has_value() && !error.has_value(); }

    static Result failure(Diagnostic d)
    {
        Result r;
        r.error = std::move(d);
        return r;
    }
};

} // namespace deltascope

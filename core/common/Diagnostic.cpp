// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/Diagnostic.h"

namespace deltascope {

std::string Diagnostic::toString() const
{
    std::string out;
    if (!file.empty()) {
        out += file;
        if (line > 0) {
            out += ':';
            out += std::to_string(line);
        }
        out += ": ";
    }
    switch (severity) {
    case Severity::Error:
        out += "error: ";
        break;
    case Severity::Warning:
        out += "warning: ";
        break;
    case Severity::Note:
        out += "note: ";
        break;
    }
    out += message;
    return out;
}

} // namespace deltascope

// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/JsonText.h"

#include "common/TextUtil.h"

namespace deltascope {

Result<nlohmann::json> parseJsonText(std::string_view text, const std::string& path)
{
    Result<nlohmann::json> out;
    try {
        out.value = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        out.error = Diagnostic::error(
            path, lineOfOffset(text, e.byte > 0 ? e.byte - 1 : 0), std::string("malformed JSON: ") + e.what());
    } catch (const nlohmann::json::exception& e) {
        // Well-formed but unreadable, e.g. a number too large for a double.
        out.error = Diagnostic::error(path, 0, std::string("unreadable JSON: ") + e.what());
    }
    return out;
}

} // namespace deltascope

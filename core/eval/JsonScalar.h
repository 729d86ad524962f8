// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Internal to the eval loaders: reading a JSON scalar as text with simdjson's On-Demand API.

#include <cstring>
#include <simdjson.h>
#include <string>
#include <string_view>

namespace deltascope::eval::detail {

/// The text of a string (unescaped) or of any other scalar (as written: numbers keep their exact
/// spelling, so an id 17 reads "17"). Objects and lists are INCORRECT_TYPE, and with
/// stringsAndNumbersOnly so are booleans and null.
inline simdjson::error_code scalarText(simdjson::ondemand::value value, std::string& out, bool stringsAndNumbersOnly)
{
    namespace od = simdjson::ondemand;
    od::json_type type;
    if (auto e = value.type().get(type))
        return e;
    if (type == od::json_type::string) {
        std::string_view s;
        if (auto e = value.get_string().get(s))
            return e;
        out.assign(s);
        return simdjson::SUCCESS;
    }
    // An object or a list is no scalar: its first token ("{") is not its text.
    if (type == od::json_type::object || type == od::json_type::array
        || (stringsAndNumbersOnly && type != od::json_type::number))
        return simdjson::INCORRECT_TYPE;
    std::string_view raw = value.raw_json_token();
    while (!raw.empty() && std::strchr(" \t\r\n,}]", raw.back()))
        raw.remove_suffix(1);
    out.assign(raw);
    return simdjson::SUCCESS;
}

} // namespace deltascope::eval::detail

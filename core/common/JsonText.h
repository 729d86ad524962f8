// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace deltascope {

/// The deepest nesting of arrays and objects a document may have. Parsing is iterative, but
/// copying, printing and walking a tree recurse once per level: a document nested a hundred
/// thousand levels deep would overflow the stack.
constexpr int kMaxJsonDepth = 512;

/// The byte offset where text opens its (kMaxJsonDepth + 1)th nested array or object, or npos
/// when it never nests that deep. Brackets inside strings do not count.
std::size_t jsonTooDeepAt(std::string_view text);

/// nlohmann's parse without exceptions; a document nested deeper than kMaxJsonDepth comes back
/// discarded like a malformed one.
nlohmann::json parseJsonOrDiscard(std::string_view text);

/// A JSON parser's message in plain words: without its exception tag and its "at line L, column C"
/// (the diagnostic that carries it names the line).
std::string plainJsonMessage(std::string_view what);

/// Where a document that a fast parser refused goes wrong, for the message: nlohmann's SAX pass
/// finds the byte without building anything. The diagnostic names the file and the line, says
/// when the text stops early (a truncated file), and ends with `expected` when that is given;
/// nullopt when this pass finds nothing wrong.
std::optional<Diagnostic> locateJsonError(
    std::string_view text, const std::string& path, const std::string& expected = {});

/// Parses a small JSON document (configs, counts, placements, keep-lists); a syntax error becomes
/// a diagnostic with the file and the line of the offending byte.
Result<nlohmann::json> parseJsonText(std::string_view text, const std::string& path);

/// A document as JSON text (indent < 0: one line). Strings that are not valid UTF-8 (a file name
/// in another encoding, say) have their bad bytes replaced by U+FFFD instead of failing. An
/// ordered_json keeps its keys in the order they were written (a json sorts them).
template <typename Json> std::string jsonText(const Json& j, int indent = -1)
{
    return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

} // namespace deltascope

// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/JsonText.h"

#include "common/TextUtil.h"

#include <algorithm>

namespace deltascope {

namespace {

// Only records where a syntax error is.
struct ErrorFinder {
    std::size_t position = 0;
    std::string message;
    bool null() { return true; }
    bool boolean(bool) { return true; }
    bool number_integer(std::int64_t) { return true; }
    bool number_unsigned(std::uint64_t) { return true; }
    bool number_float(double, const std::string&) { return true; }
    bool string(std::string&) { return true; }
    bool binary(nlohmann::json::binary_t&) { return true; }
    bool start_object(std::size_t) { return true; }
    bool key(std::string&) { return true; }
    bool end_object() { return true; }
    bool start_array(std::size_t) { return true; }
    bool end_array() { return true; }
    bool parse_error(std::size_t pos, const std::string&, const nlohmann::json::exception& e)
    {
        position = pos;
        message = plainJsonMessage(e.what());
        return false;
    }
};

} // namespace

std::string plainJsonMessage(std::string_view what)
{
    // "[json.exception.parse_error.101] parse error at line 635, column 12: syntax error ...": the
    // parser's tag and place go (the diagnostic names the line), its words stay.
    if (what.starts_with("[json.exception.")) {
        if (const auto close = what.find("] "); close != std::string_view::npos)
            what.remove_prefix(close + 2);
    }
    if (what.starts_with("parse error at line ")) {
        if (const auto colon = what.find(": "); colon != std::string_view::npos)
            what.remove_prefix(colon + 2);
    } else if (what.starts_with("parse error: ")) {
        what.remove_prefix(13);
    }
    return std::string(what);
}

std::optional<Diagnostic> locateJsonError(std::string_view text, const std::string& path, const std::string& expected)
{
    ErrorFinder finder;
    nlohmann::json::sax_parse(text, &finder);
    if (finder.message.empty())
        return std::nullopt;
    const std::size_t at = finder.position > 0 ? finder.position - 1 : 0;
    const bool early = finder.position >= text.size();
    return Diagnostic::error(path, lineOfOffset(text, std::min(at, text.size())),
        std::string(early ? "the file ends early (truncated?): " : "") + "malformed JSON (" + finder.message + ")"
            + (expected.empty() ? "" : "; expected " + expected));
}

std::size_t jsonTooDeepAt(std::string_view text)
{
    int depth = 0;
    bool inString = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxJsonDepth)
                return i;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return std::string_view::npos;
}

nlohmann::json parseJsonOrDiscard(std::string_view text)
{
    if (jsonTooDeepAt(text) != std::string_view::npos)
        return nlohmann::json(nlohmann::json::value_t::discarded);
    return nlohmann::json::parse(text, nullptr, false);
}

Result<nlohmann::json> parseJsonText(std::string_view text, const std::string& path)
{
    Result<nlohmann::json> out;
    if (const auto deep = jsonTooDeepAt(text); deep != std::string_view::npos) {
        out.error = Diagnostic::error(
            path, lineOfOffset(text, deep), "JSON nested more than " + std::to_string(kMaxJsonDepth) + " levels deep");
        return out;
    }
    try {
        out.value = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        out.error = Diagnostic::error(
            path, lineOfOffset(text, e.byte > 0 ? e.byte - 1 : 0), "malformed JSON: " + plainJsonMessage(e.what()));
    } catch (const nlohmann::json::exception& e) {
        // Well-formed but unreadable, e.g. a number too large for a double.
        out.error = Diagnostic::error(path, 0, "unreadable JSON: " + plainJsonMessage(e.what()));
    }
    return out;
}

} // namespace deltascope

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Walking the records of a JSONL trace (router records, vLLM route logs): internal to the moe
// library.

#include "common/Progress.h"

#include <cstdint>
#include <simdjson.h>
#include <string>
#include <string_view>

namespace deltascope::moe {

/// The non-blank lines of a JSONL text in order, with their 1-based line numbers. Reports progress
/// (and gives the user a chance to cancel) every 65,536 lines.
class JsonLines {
public:
    JsonLines(std::string_view text, const Progress& progress, const char* what)
        : m_text(text)
        , m_progress(progress)
        , m_what(what)
    { }

    /// The next non-blank line (without its newline); false at the end or when cancelled.
    bool next(std::string_view& record)
    {
        while (m_pos < m_text.size()) {
            ++m_line;
            if ((m_line & 0xffff) == 0 && m_progress.callback
                && !m_progress.report(static_cast<double>(m_pos) / static_cast<double>(m_text.size()), m_what)) {
                m_cancelled = true;
                return false;
            }
            const auto nl = m_text.find('\n', m_pos);
            const auto end = nl == std::string_view::npos ? m_text.size() : nl;
            record = m_text.substr(m_pos, end - m_pos);
            m_pos = end + 1;
            if (record.find_first_not_of(" \t\r") != std::string_view::npos)
                return true;
        }
        return false;
    }

    std::int64_t line() const { return m_line; } ///< of the last line returned
    bool cancelled() const { return m_cancelled; }

private:
    std::string_view m_text;
    const Progress& m_progress;
    const char* m_what;
    std::size_t m_pos = 0;
    std::int64_t m_line = 0;
    bool m_cancelled = false;
};

/// Parses one record (a line from JsonLines) as a JSON object: the text is copied into buf with
/// the padding the parser needs, and doc and obj refer to buf and parser afterwards.
inline simdjson::error_code openJsonRecord(simdjson::ondemand::parser& parser, std::string& buf,
    std::string_view record, simdjson::ondemand::document& doc, simdjson::ondemand::object& obj)
{
    buf.assign(record);
    const std::size_t n = buf.size();
    buf.resize(n + simdjson::SIMDJSON_PADDING, ' ');
    auto e = parser.iterate(buf.data(), n, buf.size()).get(doc);
    if (!e)
        e = doc.get_object().get(obj);
    return e;
}

} // namespace deltascope::moe

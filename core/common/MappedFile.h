// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"

#include <algorithm>
#include <cstddef>
#include <istream>
#include <optional>
#include <string>
#include <string_view>

namespace deltascope {

/// 3 when the bytes start with a UTF-8 byte-order mark (text readers skip it), else 0.
inline std::size_t utf8BomSize(std::string_view head)
{
    return head.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
}

/// Where the text of an open file starts: past a UTF-8 byte-order mark (offsets kept by the
/// readers count from there). Leaves the stream at its start.
inline std::size_t textStartOf(std::istream& in)
{
    char head[3] = {};
    in.seekg(0);
    in.read(head, 3);
    const auto n = static_cast<std::size_t>(std::max<std::streamsize>(0, in.gcount()));
    in.clear();
    in.seekg(0);
    return utf8BomSize(std::string_view(head, n));
}

/// A read-only memory mapping of a whole file. Input files are never opened for writing.
class MappedFile {
public:
    MappedFile() = default;
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;

    /// Maps the file; on failure returns false and fills error with the reason.
    bool open(const std::string& path, std::string& error);

    /// Maps an input the user named: a diagnostic when it cannot be read or holds only white space
    /// (then `emptyMessage` says what was expected), nothing when it is ready.
    std::optional<Diagnostic> openInput(const std::string& path, const char* emptyMessage);

    const char* data() const { return m_data; }
    std::size_t size() const { return m_size; }
    std::string_view view() const { return { m_data, m_size }; }
    /// The file as text: its bytes after a UTF-8 byte-order mark, if it starts with one (offsets
    /// into it are those of the file plus utf8BomSize of its head).
    std::string_view text() const { return view().substr(utf8BomSize(view())); }
    const std::string& path() const { return m_path; }

    /// Tells the kernel that [0, upTo) will not be read again, so its pages leave this process's
    /// resident set (they stay in the page cache). Offsets into the file remain valid.
    void release(std::size_t upTo) const;

    /// Asks the kernel to map [from, from + bytes) in one go before it is read (where the kernel
    /// can), instead of a page fault per page: for a pass over a large file.
    void populate(std::size_t from, std::size_t bytes) const;

private:
    void close();

    std::string m_path;
    const char* m_data = nullptr;
    std::size_t m_size = 0;
    bool m_mapped = false;
};

} // namespace deltascope

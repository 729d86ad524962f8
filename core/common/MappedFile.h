// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace deltascope {

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
    const std::string& path() const { return m_path; }

    /// Tells the kernel that [0, upTo) will not be read again, so its pages leave this process's
    /// resident set (they stay in the page cache). Offsets into the file remain valid.
    void release(std::size_t upTo) const;

private:
    void close();

    std::string m_path;
    const char* m_data = nullptr;
    std::size_t m_size = 0;
    bool m_mapped = false;
};

} // namespace deltascope

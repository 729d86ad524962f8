// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace deltascope {

/// Reads a file of lines front to back in windows of whole lines, through one buffer that is reused
/// from window to window (and from file to file on a thread). Reading a large file through its
/// mapping touches every page of it for the first time, which costs a fault per page; copying it
/// into memory that is already in use does not. Each window is followed by `padding` readable
/// bytes, so that a JSON parser may read past the end of its last record.
class LineWindows {
public:
    LineWindows(std::size_t padding);
    ~LineWindows();
    LineWindows(const LineWindows&) = delete;
    LineWindows& operator=(const LineWindows&) = delete;

    /// Opens the file to read from byte `from` on; false with the reason when it cannot be read.
    bool open(const std::string& path, std::size_t from, std::string& error);

    /// The next window: `size` bytes at `data` (whole lines, the last one possibly without its
    /// newline at the end of the file) that start at byte `offset` of the file; at least `padding`
    /// more bytes are readable after them. False at the end of the file or on a read error (then
    /// error() says which).
    bool next(const char*& data, std::size_t& size, std::size_t& offset);

    const std::string& error() const { return m_error; }

private:
    int m_fd = -1;
    std::size_t m_padding;
    std::vector<char>& m_buffer; ///< the thread's buffer
    std::size_t m_held = 0; ///< bytes in the buffer: the rest of the last window's read
    std::size_t m_heldStart = 0; ///< where they start in the buffer
    std::size_t m_offset = 0; ///< the file offset of the held bytes
    bool m_eof = false;
    std::string m_error;
};

} // namespace deltascope

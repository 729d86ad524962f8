// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/LineWindows.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace deltascope {

namespace {

constexpr std::size_t kWindow = std::size_t { 4 } << 20; // bytes read at a time

std::vector<char>& threadBuffer()
{
    thread_local std::vector<char> buffer;
    return buffer;
}

} // namespace

LineWindows::LineWindows(std::size_t padding)
    : m_padding(padding)
    , m_buffer(threadBuffer())
{ }

LineWindows::~LineWindows()
{
    if (m_fd >= 0)
        ::close(m_fd);
    // A buffer grown for a very long line is not kept for the thread's next file.
    if (m_buffer.size() > 4 * kWindow)
        std::vector<char>().swap(m_buffer);
}

bool LineWindows::open(const std::string& path, std::size_t from, std::string& error)
{
    m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (m_fd < 0) {
        error = std::string("cannot open: ") + std::strerror(errno);
        return false;
    }
    if (m_buffer.size() < kWindow + m_padding)
        m_buffer.resize(kWindow + m_padding);
    m_offset = from;
    m_held = 0;
    m_heldStart = 0;
    m_eof = false;
    return true;
}

bool LineWindows::next(const char*& data, std::size_t& size, std::size_t& offset)
{
    if (m_fd < 0 || (m_eof && m_held == 0))
        return false;
    // The bytes held (a line cut by the last read) move to the front, and the buffer is filled
    // behind them; a line longer than the buffer makes it grow.
    if (m_heldStart > 0 && m_held > 0)
        std::memmove(m_buffer.data(), m_buffer.data() + m_heldStart, m_held);
    m_heldStart = 0;
    std::size_t scanned = 0; // bytes of the held ones known to hold no newline
    while (true) {
        if (!m_eof) {
            if (m_buffer.size() - m_padding - m_held < kWindow / 2)
                m_buffer.resize(2 * (m_buffer.size() - m_padding) + m_padding);
            const std::size_t room = m_buffer.size() - m_padding - m_held;
            const ssize_t got = ::pread(m_fd, m_buffer.data() + m_held, room, static_cast<off_t>(m_offset + m_held));
            if (got < 0) {
                if (errno == EINTR)
                    continue;
                m_error = std::string("cannot read: ") + std::strerror(errno);
                return false;
            }
            if (got == 0)
                m_eof = true;
            m_held += static_cast<std::size_t>(got);
        }
        if (m_eof) {
            // The rest of the file, its last line without a newline.
            data = m_buffer.data();
            size = m_held;
            offset = m_offset;
            std::memset(m_buffer.data() + m_held, ' ', m_padding);
            m_offset += m_held;
            m_held = 0;
            return size > 0;
        }
        // Whole lines up to the last newline; the rest waits for the next read.
        const char* begin = m_buffer.data();
        const char* last = nullptr;
        for (std::size_t i = m_held; i > scanned; --i)
            if (begin[i - 1] == '\n') {
                last = begin + i - 1;
                break;
            }
        if (!last) {
            scanned = m_held;
            continue;
        }
        data = begin;
        size = static_cast<std::size_t>(last - begin) + 1;
        offset = m_offset;
        m_offset += size;
        m_heldStart = size;
        m_held -= size;
        return true;
    }
}

} // namespace deltascope

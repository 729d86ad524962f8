// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/MappedFile.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace deltascope {

MappedFile::~MappedFile()
{
    close();
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : m_path(std::move(other.m_path))
    , m_data(std::exchange(other.m_data, nullptr))
    , m_size(std::exchange(other.m_size, 0))
    , m_mapped(std::exchange(other.m_mapped, false))
{ }

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept
{
    if (this != &other) {
        close();
        m_path = std::move(other.m_path);
        m_data = std::exchange(other.m_data, nullptr);
        m_size = std::exchange(other.m_size, 0);
        m_mapped = std::exchange(other.m_mapped, false);
    }
    return *this;
}

bool MappedFile::open(const std::string& path, std::string& error)
{
    close();
    m_path = path;
    // Non-blocking, so that a named pipe is refused below instead of waiting for a writer (the
    // flag changes nothing for a regular file).
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        error = errno == ENOENT ? std::string("no such file") : std::string("cannot open: ") + std::strerror(errno);
        return false;
    }
    struct stat st { };
    if (::fstat(fd, &st) != 0) {
        error = std::string("cannot stat: ") + std::strerror(errno);
        ::close(fd);
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        error = "not a regular file";
        ::close(fd);
        return false;
    }
    m_size = static_cast<std::size_t>(st.st_size);
    if (m_size == 0) {
        ::close(fd);
        m_data = "";
        return true;
    }
    void* p = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) {
        error = std::string("cannot map: ") + std::strerror(errno);
        m_size = 0;
        return false;
    }
    ::madvise(p, m_size, MADV_SEQUENTIAL);
    m_data = static_cast<const char*>(p);
    m_mapped = true;
    return true;
}

std::optional<Diagnostic> MappedFile::openInput(const std::string& path, const char* emptyMessage)
{
    std::string why;
    if (!open(path, why))
        return Diagnostic::error(path, 0, why);
    if (view().find_first_not_of(" \t\r\n") == std::string_view::npos)
        return Diagnostic::error(path, 0, emptyMessage);
    return std::nullopt;
}

void MappedFile::release(std::size_t upTo) const
{
    if (!m_mapped)
        return;
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t bytes = std::min(upTo, m_size) / page * page;
    if (bytes > 0)
        ::madvise(const_cast<char*>(m_data), bytes, MADV_DONTNEED);
}

void MappedFile::populate(std::size_t from, std::size_t bytes) const
{
#ifdef MADV_POPULATE_READ
    if (!m_mapped || from >= m_size)
        return;
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t start = from / page * page;
    const std::size_t end = std::min(m_size, from + bytes);
    ::madvise(const_cast<char*>(m_data) + start, end - start, MADV_POPULATE_READ); // a hint: failure is harmless
#else
    (void)from;
    (void)bytes;
#endif
}

void MappedFile::close()
{
    if (m_mapped)
        ::munmap(const_cast<char*>(m_data), m_size);
    m_data = nullptr;
    m_size = 0;
    m_mapped = false;
}

} // namespace deltascope

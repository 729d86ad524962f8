// SPDX-License-Identifier: GPL-3.0-or-later
#include "eval/ZipArchive.h"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <filesystem>
#include <memory>

namespace deltascope::eval {

namespace {

struct ArchiveFree {
    void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

std::string why(archive* a)
{
    const char* s = archive_error_string(a);
    return s && *s ? std::string(s) : std::string("the zip reader gives no further detail");
}

std::string entryText(const ZipEntryInfo& info)
{
    return "zip entry \"" + info.name + "\"";
}

std::string mib(std::uint64_t bytes)
{
    return std::to_string(bytes >> 20) + " MiB";
}

// Reads the current entry's data without trusting its claimed size: the buffer grows with what
// arrives, and the limit stops an entry that inflates without end.
bool readData(archive* a, const ZipEntryInfo& info, const ZipLimits& limits, std::string& out, std::string& error)
{
    out.clear();
    out.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(info.size, std::uint64_t { 64 } << 20)));
    constexpr std::size_t kChunk = 1 << 16;
    for (;;) {
        const std::size_t at = out.size();
        out.resize(at + kChunk);
        const la_ssize_t n = archive_read_data(a, out.data() + at, kChunk);
        if (n < 0) {
            out.resize(at);
            error = entryText(info) + ": " + why(a);
            return false;
        }
        out.resize(at + static_cast<std::size_t>(n));
        if (n == 0)
            return true;
        // An entry that inflates past the size the directory states is lying (a zip bomb, or
        // damage): stopped there instead of at the reader's limit.
        if (info.sizeKnown && out.size() > info.size) {
            error = entryText(info) + " inflates past the " + std::to_string(info.size)
                + " bytes the archive's directory states (a damaged or hostile archive)";
            return false;
        }
        if (out.size() > limits.maxEntryBytes) {
            error = entryText(info) + " inflates to more than " + mib(limits.maxEntryBytes)
                + ", more than this reader accepts for one entry";
            return false;
        }
    }
}

Result<std::size_t> walk(const std::string& label, const std::string* path, std::string_view bytes,
    const ZipWanted& wanted, const ZipTake& take, const ZipLimits& limits)
{
    using R = Result<std::size_t>;
    ArchivePtr a(archive_read_new());
    if (!a)
        return R::failure(Diagnostic::error(label, 0, "cannot start the zip reader (out of memory)"));
    // The seekable reader follows the central directory, as zip readers should (a local header
    // may lie about sizes when data descriptors are used).
    archive_read_support_format_zip_seekable(a.get());
    // Only a regular file: the reader would wait forever on a named pipe.
    if (path) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(*path, ec))
            return R::failure(Diagnostic::error(label, 0, ec ? "cannot read: " + ec.message() : "not a regular file"));
    }
    const int opened = path ? archive_read_open_filename(a.get(), path->c_str(), 1 << 16)
                            : archive_read_open_memory(a.get(), bytes.data(), bytes.size());
    if (opened != ARCHIVE_OK)
        return R::failure(Diagnostic::error(
            label, 0, "not a readable zip archive (cut short, or not a zip at all): " + why(a.get())));
    std::size_t index = 0;
    std::string data;
    std::string last;
    for (;; ++index) {
        archive_entry* entry = nullptr;
        const int r = archive_read_next_header(a.get(), &entry);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN || !entry) {
            const std::string where = index == 0 ? std::string("the zip's central directory is damaged")
                                                 : "the zip's central directory is damaged after "
                    + std::to_string(index) + " entries (the last was \"" + last + "\")";
            return R::failure(Diagnostic::error(label, 0, where + ": " + why(a.get())));
        }
        ZipEntryInfo info;
        info.index = index;
        const char* name = archive_entry_pathname_utf8(entry);
        if (!name)
            name = archive_entry_pathname(entry);
        info.name = name ? name : "";
        last = info.name;
        info.offset = archive_read_header_position(a.get());
        if (archive_entry_size_is_set(entry)) {
            const la_int64_t size = archive_entry_size(entry);
            if (size < 0)
                return R::failure(Diagnostic::error(label, 0, entryText(info) + " states a negative size"));
            info.size = static_cast<std::uint64_t>(size);
            info.sizeKnown = true;
        }
        if (info.size > limits.maxEntryBytes)
            return R::failure(Diagnostic::error(label, 0,
                entryText(info) + " claims " + std::to_string(info.size) + " bytes uncompressed, more than the "
                    + mib(limits.maxEntryBytes) + " this reader accepts for one entry (a damaged or hostile archive)"));
        if (!wanted(info))
            continue;
        if (archive_entry_is_encrypted(entry))
            return R::failure(Diagnostic::error(label, 0, entryText(info) + " is encrypted"));
        std::string error;
        if (!readData(a.get(), info, limits, data, error))
            return R::failure(Diagnostic::error(label, 0, error));
        if (!take(info, data))
            return R { index + 1, {}, std::nullopt };
    }
    return R { index, {}, std::nullopt };
}

} // namespace

Result<std::size_t> walkZip(
    const std::string& path, const ZipWanted& wanted, const ZipTake& take, const ZipLimits& limits)
{
    return walk(path, &path, {}, wanted, take, limits);
}

Result<std::size_t> walkZipBytes(std::string_view bytes, const std::string& label, const ZipWanted& wanted,
    const ZipTake& take, const ZipLimits& limits)
{
    return walk(label, nullptr, bytes, wanted, take, limits);
}

Result<std::string> readZipEntry(
    const std::string& path, std::size_t index, ZipEntryInfo* info, const ZipLimits& limits)
{
    using R = Result<std::string>;
    std::optional<std::string> found;
    auto walked = walkZip(
        path, [&](const ZipEntryInfo& e) { return e.index == index; },
        [&](const ZipEntryInfo& e, std::string& bytes) {
            if (info)
                *info = e;
            found = std::move(bytes);
            return false;
        },
        limits);
    if (!walked.ok())
        return R::failure(*walked.error);
    if (!found)
        return R::failure(Diagnostic::error(path, 0,
            "the archive has no entry " + std::to_string(index) + " (it holds " + std::to_string(*walked.value)
                + "): it changed since it was loaded"));
    return R { std::move(found), {}, std::nullopt };
}

} // namespace deltascope::eval

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "common/Diagnostic.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace deltascope::eval {

/// One entry of a zip archive, as the archive describes it.
struct ZipEntryInfo {
    std::size_t index = 0; ///< position in the archive's directory, from 0
    std::string name;
    std::uint64_t size = 0; ///< uncompressed bytes the archive claims; 0 when it states none
    bool sizeKnown = false; ///< the archive states the size (its data may not exceed it)
    std::int64_t offset = 0; ///< byte offset of the entry's header in the archive (for progress)
};

/// What a zip reader accepts before it calls an archive malformed.
struct ZipLimits {
    /// An entry claiming, or inflating to, more bytes than this is an error, never an allocation.
    /// (An Inspect log's entries are one sample or one summary each: kilobytes to megabytes.)
    std::uint64_t maxEntryBytes = std::uint64_t { 256 } << 20;
};

/// Decides whether an entry's bytes are wanted.
using ZipWanted = std::function<bool(const ZipEntryInfo&)>;
/// Receives the bytes of a wanted entry; returning false stops the walk early (no error).
using ZipTake = std::function<bool(const ZipEntryInfo&, std::string& bytes)>;

/// Walks the entries of the zip archive at `path` in directory order and decompresses the wanted
/// ones (stored, deflate and zstd entries, zip64; libarchive does the decoding). Returns the
/// number of entries visited. Errors name the file and, when one is at fault, the entry.
Result<std::size_t> walkZip(
    const std::string& path, const ZipWanted& wanted, const ZipTake& take, const ZipLimits& limits = {});

/// The same over bytes in memory (tests and fuzzing); `label` names them in messages.
Result<std::size_t> walkZipBytes(std::string_view bytes, const std::string& label, const ZipWanted& wanted,
    const ZipTake& take, const ZipLimits& limits = {});

/// Reads the entry at `index` (as ZipEntryInfo::index numbers them); `info` receives its name.
Result<std::string> readZipEntry(
    const std::string& path, std::size_t index, ZipEntryInfo* info = nullptr, const ZipLimits& limits = {});

} // namespace deltascope::eval

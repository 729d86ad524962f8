// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace deltascope {

/// Parses a whole string as a double (accepting Python's nan/inf spellings); nullopt otherwise.
std::optional<double> parseDouble(std::string_view text);

/// Replaces Python's bare NaN / Infinity / -Infinity tokens (outside strings) by null, so a strict
/// JSON parser accepts the text. Returns true when something was replaced.
bool replaceNonFiniteTokens(std::string& json);

/// Like replaceNonFiniteTokens but writes each token as a string ("NaN", "Infinity", "-Infinity")
/// so that the value is kept and can be turned back into a double.
std::string quoteNonFiniteTokens(std::string_view json);

/// The JSON text with every integer outside strings that no 64-bit integer holds (above
/// 18446744073709551615, below -9223372036854775808) written as a string ("100000000000000000000"):
/// an id that large keeps its digits. Numbers with a fraction or an exponent stay as they are.
std::string quoteLongIntegers(std::string_view json);

/// 64-bit FNV-1a, used to keep compact fingerprints of long hash strings.
std::uint64_t fingerprint64(std::string_view text);

/// The file name part of a path.
std::string baseName(std::string_view path);

/// Steps through text line by line: returns false at the end; otherwise sets line (without its
/// newline and a trailing carriage return) and moves pos past it.
bool nextLine(std::string_view text, std::size_t& pos, std::string_view& line);

/// 1-based line number of byte offset in text.
std::int64_t lineOfOffset(std::string_view text, std::size_t offset);

/// Formats a double with the shortest representation that round-trips.
std::string formatDouble(double v);

/// Length of the valid UTF-8 sequence at text[pos], or 0 when the byte there does not start one
/// (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t utf8SequenceAt(std::string_view text, std::size_t pos);

bool isValidUtf8(std::string_view text);

/// The text with every byte that is not part of a valid UTF-8 sequence replaced by `replacement`
/// (U+FFFD by default; a one-byte replacement keeps every offset where it was).
std::string replaceInvalidUtf8(std::string_view text, std::string_view replacement = "\xEF\xBF\xBD");

} // namespace deltascope

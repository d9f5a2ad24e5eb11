// Parsing and printing of the value shapes the config uses beyond plain numbers: byte sizes
// ("16Gi", "512Mi", "1G", "4096"), durations ("30s", "5m", "2h", "7d", "90") and file modes
// ("0660"). Pure functions; the config table and the API both use them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spacelet::agent::config {

// Bytes from "<integer>[unit]" where unit is Ki, Mi, Gi, Ti (powers of 1024) or K, M, G, T
// (powers of 1000); no unit means bytes. nullopt when malformed or overflowing.
std::optional<uint64_t> parseBytes(std::string_view text);
// The shortest exact form: "16Gi", "1536Mi", "1000" (never loses precision).
std::string formatBytes(uint64_t bytes);

// Seconds from "<integer>[unit]" where unit is s, m, h or d; no unit means seconds.
std::optional<uint64_t> parseSeconds(std::string_view text);
// The largest exact unit: "2d", "90m", "45s", "0s".
std::string formatSeconds(uint64_t seconds);

// A permission mode written in octal with a leading 0 ("0660"); at most 07777.
std::optional<mode_t> parseMode(std::string_view text);
std::string formatMode(mode_t mode);

// Whole decimal integers with an optional leading '-', with range checking by the caller.
std::optional<int64_t> parseInteger(std::string_view text);

// An IPv4 or IPv6 network in CIDR form ("10.213.0.0/16", "fd00:5::/64"), with the host bits
// zero. family is AF_INET or AF_INET6.
bool isCidr(std::string_view text, int family);
// A plain IPv4 or IPv6 address.
bool isIpAddress(std::string_view text);

}  // namespace spacelet::agent::config

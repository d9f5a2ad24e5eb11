// Implementation of the config's value shapes (see units.h).
#include "agent/config/units.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <limits>

namespace spacelet::agent::config {
namespace {

struct Unit {
  std::string_view suffix;
  uint64_t factor;
};

// Longest suffixes first so "Gi" is not taken for "G" followed by junk.
constexpr std::array<Unit, 8> kByteUnits = {{{"Ti", 1ull << 40},
                                             {"Gi", 1ull << 30},
                                             {"Mi", 1ull << 20},
                                             {"Ki", 1ull << 10},
                                             {"T", 1000ull * 1000 * 1000 * 1000},
                                             {"G", 1000ull * 1000 * 1000},
                                             {"M", 1000ull * 1000},
                                             {"K", 1000ull}}};
constexpr std::array<Unit, 4> kTimeUnits = {{{"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}}};

std::optional<uint64_t> parseUnsigned(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

template <size_t N>
std::optional<uint64_t> parseWithUnits(std::string_view text, const std::array<Unit, N>& units) {
  for (const auto& unit : units) {
    if (text.size() > unit.suffix.size() && text.ends_with(unit.suffix)) {
      auto number = parseUnsigned(text.substr(0, text.size() - unit.suffix.size()));
      if (!number || *number > std::numeric_limits<uint64_t>::max() / unit.factor)
        return std::nullopt;
      return *number * unit.factor;
    }
  }
  return parseUnsigned(text);
}

}  // namespace

std::optional<uint64_t> parseBytes(std::string_view text) {
  return parseWithUnits(text, kByteUnits);
}

std::string formatBytes(uint64_t bytes) {
  for (const auto& unit : kByteUnits) {
    if (unit.suffix.size() == 2 && bytes != 0 && bytes % unit.factor == 0)
      return std::to_string(bytes / unit.factor) + std::string(unit.suffix);
  }
  return std::to_string(bytes);
}

std::optional<uint64_t> parseSeconds(std::string_view text) {
  return parseWithUnits(text, kTimeUnits);
}

std::string formatSeconds(uint64_t seconds) {
  for (const auto& unit : kTimeUnits) {
    if (seconds != 0 && seconds % unit.factor == 0)
      return std::to_string(seconds / unit.factor) + std::string(unit.suffix);
  }
  return "0s";
}

std::optional<mode_t> parseMode(std::string_view text) {
  if (text.size() < 2 || text[0] != '0') return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 8);
  if (ec != std::errc() || end != text.data() + text.size() || value > 07777) return std::nullopt;
  return static_cast<mode_t>(value);
}

std::string formatMode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode));
  return buf;
}

std::optional<int64_t> parseInteger(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool isIpAddress(std::string_view text) {
  std::string s(text);
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool isCidr(std::string_view text, int family) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return false;
  std::string address(text.substr(0, slash));
  auto prefix = parseUnsigned(text.substr(slash + 1));
  unsigned bits = family == AF_INET ? 32 : 128;
  unsigned char buf[16] = {};
  if (!prefix || *prefix > bits || ::inet_pton(family, address.c_str(), buf) != 1) return false;
  // Host bits must be zero: "10.0.0.1/8" is almost always a typo for a network.
  for (unsigned bit = static_cast<unsigned>(*prefix); bit < bits; ++bit) {
    if (buf[bit / 8] & (0x80 >> (bit % 8))) return false;
  }
  return true;
}

}  // namespace spacelet::agent::config

// IP addresses and prefixes as plain values for the network policy: parsed once from
// configuration or API input, then formatted for nftables JSON, netlink and state files.
// Pure code (no system state); the IPAM's address arithmetic lives here too.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "spacelet/base/error.h"

namespace spacelet::netpolicy {

enum class Family { kIpv4, kIpv6 };

// One IPv4 or IPv6 address. Bytes are in network order; IPv4 uses the first four.
struct IpAddress {
  Family family = Family::kIpv4;
  std::array<uint8_t, 16> bytes{};

  // Accepts dotted-quad IPv4 or any IPv6 text form inet_pton(3) accepts.
  static Result<IpAddress> parse(std::string_view text);
  std::string toString() const;
  bool isV4() const { return family == Family::kIpv4; }
  int bitLength() const { return isV4() ? 32 : 128; }
  // The address `n` further on (wrapping is the caller's concern: pools check bounds).
  IpAddress plus(uint64_t n) const;

  auto operator<=>(const IpAddress&) const = default;
};

// An address with a prefix length: a network ("10.0.0.0/8") or one host ("10.0.0.1/32").
struct Prefix {
  IpAddress address;
  int length = 0;

  // "ADDR/LEN"; a bare address is a host prefix (/32 or /128).
  static Result<Prefix> parse(std::string_view text);
  std::string toString() const;
  bool contains(const IpAddress& a) const;
  bool contains(const Prefix& p) const { return p.length >= length && contains(p.address); }
  bool overlaps(const Prefix& p) const { return contains(p) || p.contains(*this); }
  // The prefix with its host bits cleared; a valid network prefix equals its network().
  Prefix network() const;
  // How many addresses the prefix spans, saturated at 2^63 (enough for any pool bound).
  uint64_t size() const;

  auto operator<=>(const Prefix&) const = default;
};

}  // namespace spacelet::netpolicy

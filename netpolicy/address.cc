// Parsing, formatting and arithmetic of IP addresses and prefixes (see address.h).
// inet_pton/inet_ntop do the text forms so that every spelling the kernel tools accept works.
#include "spacelet/netpolicy/address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace spacelet::netpolicy {

Result<IpAddress> IpAddress::parse(std::string_view text) {
  std::string s(text);
  IpAddress a;
  if (s.find(':') == std::string::npos) {
    a.family = Family::kIpv4;
    if (::inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
  } else {
    a.family = Family::kIpv6;
    if (::inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) return a;
  }
  return failInvalid("'" + s + "' is not an IP address (expected e.g. '10.0.0.1' or 'fd00::1')");
}

std::string IpAddress::toString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(isV4() ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

IpAddress IpAddress::plus(uint64_t n) const {
  IpAddress out = *this;
  int last = isV4() ? 3 : 15;
  unsigned carry = 0;
  for (int i = last; i >= 0 && (n != 0 || carry != 0); --i) {
    unsigned sum = out.bytes[i] + static_cast<unsigned>(n & 0xff) + carry;
    out.bytes[i] = static_cast<uint8_t>(sum & 0xff);
    carry = sum >> 8;
    n >>= 8;
  }
  return out;
}

Result<Prefix> Prefix::parse(std::string_view text) {
  auto slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return fail(std::move(address).error());
  Prefix p{*address, address->bitLength()};
  if (slash == std::string_view::npos) return p;
  std::string_view len = text.substr(slash + 1);
  int value = -1;
  auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), value);
  if (ec != std::errc() || end != len.data() + len.size() || value < 0 ||
      value > p.address.bitLength()) {
    return failInvalid("'" + std::string(text) + "' has an invalid prefix length (0 to " +
                       std::to_string(p.address.bitLength()) + ")");
  }
  p.length = value;
  return p;
}

std::string Prefix::toString() const {
  return address.toString() + "/" + std::to_string(length);
}

bool Prefix::contains(const IpAddress& a) const {
  if (a.family != address.family) return false;
  int full = length / 8;
  for (int i = 0; i < full; ++i) {
    if (a.bytes[i] != address.bytes[i]) return false;
  }
  int rest = length % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (address.bytes[full] & mask);
}

Prefix Prefix::network() const {
  Prefix p = *this;
  int bits = address.bitLength();
  for (int i = 0; i < bits / 8; ++i) {
    int keep = std::min(8, std::max(0, length - i * 8));
    p.address.bytes[i] &= static_cast<uint8_t>(keep == 0 ? 0 : 0xff << (8 - keep));
  }
  return p;
}

uint64_t Prefix::size() const {
  int hostBits = address.bitLength() - length;
  return hostBits >= 63 ? (uint64_t{1} << 63) : (uint64_t{1} << hostBits);
}

}  // namespace spacelet::netpolicy

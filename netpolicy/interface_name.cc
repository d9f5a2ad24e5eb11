// The host-side interface name of a Space: "sp-" + 12 base32 characters of the FNV-1a hash of
// its id. Space ids are longer than IFNAMSIZ allows and may hold any character; 60 bits make
// an accidental collision unlikely, and Ipam reports one instead of sharing an interface.
#include <cstdint>
#include <string>
#include <string_view>

#include "spacelet/netpolicy/net_policy.h"

namespace spacelet::netpolicy {

std::string interfaceName(std::string_view spaceId) {
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64-bit offset basis
  for (unsigned char c : spaceId) {
    hash ^= c;
    hash *= 0x100000001b3ULL;  // FNV prime
  }
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string name = "sp-";
  for (int i = 0; i < 12; ++i) {
    name += kAlphabet[hash & 31];
    hash >>= 5;
  }
  return name;
}

}  // namespace spacelet::netpolicy

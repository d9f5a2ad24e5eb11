// The text form of a per-Space override, shared by the CLI and the state files:
// "<allow|deny> <tcp|udp> <destination prefix> <port>[-<port>]".
#include <charconv>
#include <sstream>
#include <vector>

#include "spacelet/netpolicy/net_policy.h"

namespace spacelet::netpolicy {
namespace {

constexpr char kUsage[] =
    "expected '<allow|deny> <tcp|udp> <destination> <port>[-<port>]', e.g. "
    "'allow tcp 10.1.2.3/32 5432'";

Result<uint16_t> parsePort(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > 65535) {
    return failInvalid("'" + std::string(text) + "' is not a port (1 to 65535)");
  }
  return static_cast<uint16_t>(value);
}

Result<void> parsePorts(std::string_view text, Override& o) {
  auto dash = text.find('-');
  auto first = parsePort(text.substr(0, dash));
  if (!first) return fail(std::move(first).error());
  o.firstPort = o.lastPort = *first;
  if (dash == std::string_view::npos) return {};
  auto last = parsePort(text.substr(dash + 1));
  if (!last) return fail(std::move(last).error());
  if (*last < *first) return failInvalid("port range '" + std::string(text) + "' is reversed");
  o.lastPort = *last;
  return {};
}

}  // namespace

Result<Override> Override::parse(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  std::string quoted = "'" + std::string(text) + "'";
  if (words.size() != 4) return failInvalid("override " + quoted + ": " + kUsage);
  Override o;
  if (words[0] != "allow" && words[0] != "deny") {
    return failInvalid("override " + quoted + ": '" + words[0] + "' is not 'allow' or 'deny'");
  }
  o.verdict = words[0] == "allow" ? Verdict::kAllow : Verdict::kDeny;
  if (words[1] != "tcp" && words[1] != "udp") {
    return failInvalid("override " + quoted + ": '" + words[1] + "' is not 'tcp' or 'udp'");
  }
  o.protocol = words[1] == "tcp" ? Protocol::kTcp : Protocol::kUdp;
  auto destination = Prefix::parse(words[2]);
  if (!destination) return fail(std::move(destination).error().withContext("override " + quoted));
  if (destination->network() != *destination) {
    return failInvalid("override " + quoted + ": '" + words[2] + "' has host bits set; use '" +
                       destination->network().toString() + "'");
  }
  o.destination = *destination;
  SPACELET_TRY_CONTEXT(parsePorts(words[3], o), "override " + quoted);
  return o;
}

std::string Override::toString() const {
  std::string ports = std::to_string(firstPort);
  if (lastPort != firstPort) ports += "-" + std::to_string(lastPort);
  return std::string(verdict == Verdict::kAllow ? "allow" : "deny") + " " +
         (protocol == Protocol::kTcp ? "tcp" : "udp") + " " + destination.toString() + " " + ports;
}

}  // namespace spacelet::netpolicy

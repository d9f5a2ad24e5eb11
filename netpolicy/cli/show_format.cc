// Text and JSON renderings of the Spaces' network status (see show_format.h).
#include "show_format.h"

#include <algorithm>
#include <cstdio>

namespace spacelet::netpolicy::cli {
namespace {

using Row = std::vector<std::string>;

Row rowOf(const SpaceStatus& s) {
  const SpaceNetwork& n = s.network;
  const Counters& c = s.counters;
  bool a = s.attached;
  return {n.spaceId,
          n.ifname,
          n.spaceIpv4.toString(),
          n.spaceIpv6 ? n.spaceIpv6->toString() : "-",
          std::to_string(n.appPort),
          a ? "attached" : "leased",
          a ? std::to_string(c.acceptedConnections) : "-",
          a ? std::to_string(c.rejectedConnections) : "-",
          a ? humanBytes(c.txBytes) : "-",
          a ? humanBytes(c.rxBytes) : "-"};
}

std::string joinPadded(const Row& row, const std::vector<size_t>& widths) {
  std::string line;
  for (size_t i = 0; i < row.size(); ++i) {
    line += row[i];
    if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
  }
  return line + "\n";
}

}  // namespace

std::string humanBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", value, kUnits[unit]);
  return buf;
}

std::string formatShowText(const std::vector<SpaceStatus>& spaces) {
  if (spaces.empty()) return "no Spaces have a network\n";
  std::vector<Row> rows = {
      {"SPACE", "INTERFACE", "IPV4", "IPV6", "APP", "STATE", "ACCEPTED", "REJECTED", "TX", "RX"}};
  for (const auto& s : spaces) rows.push_back(rowOf(s));
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], r[i].size());
  }
  std::string out = joinPadded(rows[0], widths);
  for (size_t i = 0; i < spaces.size(); ++i) {
    out += joinPadded(rows[i + 1], widths);
    for (const auto& o : spaces[i].overrides) out += "  override: " + o.toString() + "\n";
    for (const auto& p : spaces[i].published) {
      out += "  published: node port " + std::to_string(p.hostPort) + " -> " +
             std::to_string(p.spacePort) + "\n";
    }
  }
  return out;
}

nlohmann::json formatShowJson(const std::vector<SpaceStatus>& spaces) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : spaces) {
    const SpaceNetwork& n = s.network;
    nlohmann::json j = {{"space_id", n.spaceId},          {"ifname", n.ifname},
                        {"netns", n.netnsPath},           {"host_ipv4", n.hostIpv4.toString()},
                        {"ipv4", n.spaceIpv4.toString()}, {"app_port", n.appPort},
                        {"attached", s.attached}};
    if (n.spaceIpv6) {
      j["host_ipv6"] = n.hostIpv6->toString();
      j["ipv6"] = n.spaceIpv6->toString();
    }
    if (s.attached) {
      const Counters& c = s.counters;
      j["counters"] = {{"accepted_connections", c.acceptedConnections},
                       {"rejected_connections", c.rejectedConnections},
                       {"tx_packets", c.txPackets},
                       {"tx_bytes", c.txBytes},
                       {"rx_packets", c.rxPackets},
                       {"rx_bytes", c.rxBytes}};
    }
    j["overrides"] = nlohmann::json::array();
    for (const auto& o : s.overrides) j["overrides"].push_back(o.toString());
    j["published"] = nlohmann::json::array();
    for (const auto& p : s.published) {
      j["published"].push_back({{"host_port", p.hostPort}, {"space_port", p.spacePort}});
    }
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace spacelet::netpolicy::cli

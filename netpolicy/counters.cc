// Parsing nft's JSON listing of the table into per-Space counters (see counters.h).
#include "counters.h"

#include <nlohmann/json.hpp>

#include "ruleset.h"

namespace spacelet::netpolicy {
namespace {

using json = nlohmann::json;

// Adds one counter set's elements ({"elem": {"val": "sp-..", "counter": {..}}}) to `out`.
void addCounterSet(const json& set, std::map<std::string, Counters>& out) {
  const std::string name = set.at("name").get<std::string>();
  for (const auto& e : set.value("elem", json::array())) {
    const json& inner = e.at("elem");
    Counters& k = out[inner.at("val").get<std::string>()];
    uint64_t packets = inner.at("counter").at("packets").get<uint64_t>();
    uint64_t bytes = inner.at("counter").at("bytes").get<uint64_t>();
    if (name == kSetTx) {
      k.txPackets = packets;
      k.txBytes = bytes;
    } else if (name == kSetRx) {
      k.rxPackets = packets;
      k.rxBytes = bytes;
    } else if (name == kSetAccepted) {
      k.acceptedConnections = packets;
    } else {
      k.rejectedConnections = packets;
    }
  }
}

}  // namespace

Result<std::map<std::string, Counters>> parseCounters(std::string_view nftOutput) {
  std::map<std::string, Counters> out;
  try {
    const json doc = json::parse(nftOutput);  // a named object: the loop below borrows from it
    for (const auto& entry : doc.at("nftables")) {
      if (!entry.contains("set")) continue;
      const std::string name = entry["set"].value("name", "");
      if (name == kSetTx || name == kSetRx || name == kSetAccepted || name == kSetRejected) {
        addCounterSet(entry["set"], out);
      }
    }
  } catch (const json::exception& e) {
    return failInvalid(std::string("unexpected output of 'nft -j list table': ") + e.what());
  }
  return out;
}

}  // namespace spacelet::netpolicy

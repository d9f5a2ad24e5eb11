// Rendering of the `inet spacelet` table (see ruleset.h and docs/netpolicy.md for the rules
// in nft's text syntax). The JSON shapes are those `nft -j list` prints, with two nft 1.0.6
// limits worked around: concatenated map data (published ports use two maps) and counter
// values in element input (ignored; counters restart when the table is replaced).
#include "ruleset.h"

#include <algorithm>
#include <map>

namespace spacelet::netpolicy {
namespace {

using json = nlohmann::json;

constexpr char kIfacePattern[] = "sp-*";

json meta(const char* key) {
  return {{"meta", {{"key", key}}}};
}
json payload(const char* protocol, const char* field) {
  return {{"payload", {{"protocol", protocol}, {"field", field}}}};
}
json match(json left, json right, const char* op = "==") {
  return {{"match", {{"op", op}, {"left", std::move(left)}, {"right", std::move(right)}}}};
}
json concat(json parts) {
  return {{"concat", std::move(parts)}};
}
json ctMatch(const char* key, json values) {
  return match({{"ct", {{"key", key}}}}, std::move(values), "in");
}
json verdict(const char* name) {
  return {{name, nullptr}};
}
json jumpTo(const char* kind, const char* chain) {
  return {{kind, {{"target", chain}}}};
}
json setRef(const std::string& name) {
  return "@" + name;
}
json prefixValue(const Prefix& p) {
  if (p.length == p.address.bitLength()) return p.address.toString();
  return {{"prefix", {{"addr", p.address.toString()}, {"len", p.length}}}};
}
json command(const char* verb, const char* kind, json body) {
  body["family"] = "inet";
  if (std::string(kind) != "table") body["table"] = kTableName;
  return {{verb, {{kind, std::move(body)}}}};
}
json tableCommand(const char* verb) {
  return command(verb, "table", {{"name", kTableName}});
}
json elementCommand(const char* verb, const std::string& set, json elems) {
  return command(verb, "element", {{"name", set}, {"elem", std::move(elems)}});
}
json setCommand(const std::string& name, json type, json extra = json::object()) {
  extra["name"] = name;
  extra["type"] = std::move(type);
  return command("add", "set", std::move(extra));
}
json mapCommand(const std::string& name, json type, json data, json extra = json::object()) {
  extra["map"] = std::move(data);
  extra["name"] = name;
  extra["type"] = std::move(type);
  return command("add", "map", std::move(extra));
}
json chainCommand(const char* name) {
  return command("add", "chain", {{"name", name}});
}
json baseChainCommand(const char* name, const char* type, const char* hook, int prio) {
  return command(
      "add", "chain",
      {{"name", name}, {"type", type}, {"hook", hook}, {"prio", prio}, {"policy", "accept"}});
}
json ruleCommand(const char* chain, json exprs) {
  return command("add", "rule", {{"chain", chain}, {"expr", std::move(exprs)}});
}

// --- the sets and maps -------------------------------------------------------------------

json prefixElems(const std::vector<Prefix>& prefixes) {
  json out = json::array();
  for (const auto& p : prefixes) out.push_back(prefixValue(p));
  return out;
}

void addSets(const RulesetParams& p, json& cmds) {
  json counter = {{"stmt", json::array({{{"counter", nullptr}}})}};
  cmds.push_back(setCommand(kSetIfaces, "ifname"));
  for (const char* name : {kSetTx, kSetRx, kSetAccepted, kSetRejected}) {
    cmds.push_back(setCommand(name, "ifname", counter));
  }
  cmds.push_back(setCommand("space_src4", json::array({"ifname", "ipv4_addr"})));
  cmds.push_back(setCommand("space_src6", json::array({"ifname", "ipv6_addr"})));
  cmds.push_back(setCommand("space_app", json::array({"ifname", "inet_service"})));
  json interval = {{"flags", json::array({"interval"})}};
  for (const char* family : {"4", "6"}) {
    std::string addr = family[0] == '4' ? "ipv4_addr" : "ipv6_addr";
    cmds.push_back(mapCommand(std::string("space_policy") + family,
                              json::array({"ifname", addr, "inet_proto", "inet_service"}),
                              "verdict", interval));
    cmds.push_back(mapCommand(std::string("published") + family + "_addr", "inet_service", addr));
    cmds.push_back(
        mapCommand(std::string("published") + family + "_port", "inet_service", "inet_service"));
  }
  json resolver4 = json::array(), resolver6 = json::array();
  for (const auto& r : p.resolvers) (r.isV4() ? resolver4 : resolver6).push_back(r.toString());
  json ports = json::array();
  for (uint16_t port : p.egressTcpPorts) ports.push_back(port);
  auto withElems = [](json extra, json elems) {
    if (!elems.empty()) extra["elem"] = std::move(elems);
    return extra;
  };
  cmds.push_back(setCommand("resolver4", "ipv4_addr", withElems(json::object(), resolver4)));
  cmds.push_back(setCommand("resolver6", "ipv6_addr", withElems(json::object(), resolver6)));
  cmds.push_back(setCommand("egress_tcp", "inet_service", withElems(json::object(), ports)));
  cmds.push_back(setCommand("deny4", "ipv4_addr", withElems(interval, prefixElems(p.deny4))));
  cmds.push_back(setCommand("deny6", "ipv6_addr", withElems(interval, prefixElems(p.deny6))));
}

// --- the chains --------------------------------------------------------------------------

json ndTypes(std::initializer_list<const char*> types) {
  json set = json::array();
  for (const char* t : types) set.push_back(t);
  return match(payload("icmpv6", "type"), {{"set", set}});
}

json established() {
  return ctMatch("state", json::array({"established", "related"}));
}

// prerouting, before conntrack: only registered sp-* interfaces with their own source address.
void addGuardRules(const RulesetParams& p, json& cmds) {
  const char* c = "guard_space";
  cmds.push_back(
      ruleCommand(c, {match(meta("iifname"), setRef(kSetIfaces), "!="), verdict("drop")}));
  cmds.push_back(ruleCommand(
      c, {match(concat({meta("iifname"), payload("ip", "saddr")}), setRef("space_src4")),
          verdict("return")}));
  if (p.pool6) {
    cmds.push_back(ruleCommand(
        c, {match(concat({meta("iifname"), payload("ip6", "saddr")}), setRef("space_src6")),
            verdict("return")}));
    // Neighbour discovery may come from the link-local address.
    cmds.push_back(
        ruleCommand(c, {match(payload("ip6", "saddr"), prefixValue(*Prefix::parse("fe80::/10"))),
                        ndTypes({"nd-router-solicit", "nd-neighbor-solicit", "nd-neighbor-advert"}),
                        verdict("return")}));
  }
  cmds.push_back(ruleCommand(c, {verdict("drop")}));
}

// Counts a verdict in the Space's element, then applies it.
void addVerdictChains(json& cmds) {
  cmds.push_back(ruleCommand("accept_new", {match(meta("iifname"), setRef(kSetAccepted))}));
  cmds.push_back(ruleCommand("accept_new", {verdict("accept")}));
  cmds.push_back(ruleCommand("reject_space", {match(meta("iifname"), setRef(kSetRejected))}));
  // TCP gets a reset: unlike ICMP errors, resets are not rate-limited by the kernel, so every
  // refused connection fails at once.
  cmds.push_back(ruleCommand(
      "reject_space", {match(meta("l4proto"), "tcp"), {{"reject", {{"type", "tcp reset"}}}}}));
  cmds.push_back(ruleCommand("reject_space",
                             {{{"reject", {{"type", "icmpx"}, {"expr", "admin-prohibited"}}}}}));
}

json dnsToResolver(const char* ip, const char* set) {
  return json::array({match(meta("l4proto"), {{"set", {"tcp", "udp"}}}),
                      match(payload("th", "dport"), 53), match(payload(ip, "daddr"), setRef(set)),
                      jumpTo("goto", "accept_new")});
}

json overrideLookup(const char* ip, const char* map) {
  return json::array({{{"vmap",
                        {{"key", concat({meta("iifname"), payload(ip, "daddr"), meta("l4proto"),
                                         payload("th", "dport")})},
                         {"data", setRef(map)}}}}});
}

// The start every chain of Space traffic shares: count, let replies through.
void addTrafficHead(const char* chain, const char* ifKey, const char* counterSet, json& cmds) {
  cmds.push_back(ruleCommand(chain, {match(meta(ifKey), setRef(counterSet))}));
  cmds.push_back(ruleCommand(chain, {established(), verdict("accept")}));
  cmds.push_back(ruleCommand(chain, {ctMatch("state", "invalid"), verdict("drop")}));
}

void addDnsAndOverrides(const char* chain, json& cmds) {
  cmds.push_back(ruleCommand(chain, dnsToResolver("ip", "resolver4")));
  cmds.push_back(ruleCommand(chain, dnsToResolver("ip6", "resolver6")));
  cmds.push_back(ruleCommand(chain, overrideLookup("ip", "space_policy4")));
  cmds.push_back(ruleCommand(chain, overrideLookup("ip6", "space_policy6")));
}

// forward, from a Space: DNS to the resolver, overrides, then no other Space, no denied range,
// new TCP to the allowed ports, and a reject for everything else.
void addFromSpaceRules(json& cmds) {
  const char* c = "from_space";
  addTrafficHead(c, "iifname", kSetTx, cmds);
  addDnsAndOverrides(c, cmds);
  cmds.push_back(
      ruleCommand(c, {match(meta("oifname"), kIfacePattern), jumpTo("goto", "reject_space")}));
  cmds.push_back(ruleCommand(
      c, {match(payload("ip", "daddr"), setRef("deny4")), jumpTo("goto", "reject_space")}));
  cmds.push_back(ruleCommand(
      c, {match(payload("ip6", "daddr"), setRef("deny6")), jumpTo("goto", "reject_space")}));
  cmds.push_back(ruleCommand(c, {match(payload("tcp", "dport"), setRef("egress_tcp")),
                                 ctMatch("state", "new"), jumpTo("goto", "accept_new")}));
  cmds.push_back(ruleCommand(c, {jumpTo("goto", "reject_space")}));
}

// input, from a Space to the node: only DNS to a resolver on the node (and overrides).
void addSpaceToNodeRules(json& cmds) {
  const char* c = "space_to_node";
  addTrafficHead(c, "iifname", kSetTx, cmds);
  cmds.push_back(
      ruleCommand(c, {ndTypes({"nd-router-solicit", "nd-neighbor-solicit", "nd-neighbor-advert"}),
                      verdict("accept")}));
  addDnsAndOverrides(c, cmds);
  cmds.push_back(ruleCommand(c, {jumpTo("goto", "reject_space")}));
}

// forward to a Space from outside: replies, and connections to its published ports.
void addToSpaceRules(json& cmds) {
  const char* c = "to_space";
  addTrafficHead(c, "oifname", kSetRx, cmds);
  cmds.push_back(ruleCommand(c, {ctMatch("status", "dnat"), verdict("accept")}));
  cmds.push_back(ruleCommand(c, {verdict("drop")}));
}

// output, from the node to a Space: its app port only.
void addNodeToSpaceRules(json& cmds) {
  const char* c = "node_to_space";
  addTrafficHead(c, "oifname", kSetRx, cmds);
  cmds.push_back(
      ruleCommand(c, {ndTypes({"nd-neighbor-solicit", "nd-neighbor-advert"}), verdict("accept")}));
  cmds.push_back(ruleCommand(
      c, {match(concat({meta("oifname"), payload("tcp", "dport")}), setRef("space_app")),
          verdict("accept")}));
  cmds.push_back(
      ruleCommand(c, {match(meta("l4proto"), "tcp"), {{"reject", {{"type", "tcp reset"}}}}}));
  cmds.push_back(ruleCommand(c, {{{"reject", {{"type", "icmpx"}, {"expr", "admin-prohibited"}}}}}));
}

json publishedDnat(const char* family, const std::string& f) {
  json key = payload("tcp", "dport");
  return {{"dnat",
           {{"family", family},
            {"addr", {{"map", {{"key", key}, {"data", setRef("published" + f + "_addr")}}}}},
            {"port", {{"map", {{"key", key}, {"data", setRef("published" + f + "_port")}}}}}}}};
}

void addNatRules(const RulesetParams& p, json& cmds) {
  json fromOutside = match(meta("iifname"), kIfacePattern, "!=");
  json toNode = match({{"fib", {{"result", "type"}, {"flags", json::array({"daddr"})}}}}, "local");
  cmds.push_back(ruleCommand("prerouting_nat", {fromOutside, toNode, publishedDnat("ip", "4")}));
  cmds.push_back(ruleCommand("prerouting_nat", {fromOutside, toNode, publishedDnat("ip6", "6")}));
  json notToSpace = match(meta("oifname"), kIfacePattern, "!=");
  cmds.push_back(ruleCommand(
      "postrouting_nat",
      {match(payload("ip", "saddr"), prefixValue(p.pool4)), notToSpace, verdict("masquerade")}));
  if (p.pool6 && p.masquerade6) {
    cmds.push_back(
        ruleCommand("postrouting_nat", {match(payload("ip6", "saddr"), prefixValue(*p.pool6)),
                                        notToSpace, verdict("masquerade")}));
  }
}

void addChains(const RulesetParams& p, json& cmds) {
  // Priorities: raw (-300) so spoofed packets never create conntrack entries; filter (0); NAT.
  cmds.push_back(baseChainCommand("guard", "filter", "prerouting", -300));
  cmds.push_back(baseChainCommand("input", "filter", "input", 0));
  cmds.push_back(baseChainCommand("forward", "filter", "forward", 0));
  cmds.push_back(baseChainCommand("output", "filter", "output", 0));
  cmds.push_back(baseChainCommand("prerouting_nat", "nat", "prerouting", -100));
  cmds.push_back(baseChainCommand("postrouting_nat", "nat", "postrouting", 100));
  for (const char* name : {"guard_space", "accept_new", "reject_space", "from_space",
                           "space_to_node", "to_space", "node_to_space"}) {
    cmds.push_back(chainCommand(name));
  }
  json fromSpace = match(meta("iifname"), kIfacePattern);
  json toSpace = match(meta("oifname"), kIfacePattern);
  cmds.push_back(ruleCommand("guard", {fromSpace, jumpTo("jump", "guard_space")}));
  cmds.push_back(ruleCommand("input", {fromSpace, jumpTo("jump", "space_to_node")}));
  cmds.push_back(ruleCommand("forward", {fromSpace, jumpTo("jump", "from_space")}));
  cmds.push_back(ruleCommand("forward", {toSpace, jumpTo("jump", "to_space")}));
  cmds.push_back(ruleCommand("output", {toSpace, jumpTo("jump", "node_to_space")}));
  addGuardRules(p, cmds);
  addVerdictChains(cmds);
  addFromSpaceRules(cmds);
  addSpaceToNodeRules(cmds);
  addToSpaceRules(cmds);
  addNodeToSpaceRules(cmds);
  addNatRules(p, cmds);
}

// --- per-Space elements ------------------------------------------------------------------

json overrideElem(const RulesetSpace& s, const Override& o) {
  json ports = o.firstPort == o.lastPort ? json(o.firstPort)
                                         : json{{"range", json::array({o.firstPort, o.lastPort})}};
  json key = concat(
      {s.ifname, prefixValue(o.destination), o.protocol == Protocol::kTcp ? "tcp" : "udp", ports});
  json target = jumpTo("goto", o.verdict == Verdict::kAllow ? "accept_new" : "reject_space");
  return json::array({key, target});
}

std::string overrideMap(const Override& o) {
  return o.destination.address.isV4() ? "space_policy4" : "space_policy6";
}

using Elements = std::vector<std::pair<std::string, json>>;  // (set or map, one element)

void addPublishedElements(const RulesetSpace& s, const PublishedPort& p, Elements& out) {
  out.emplace_back("published4_addr", json::array({p.hostPort, s.space4.toString()}));
  out.emplace_back("published4_port", json::array({p.hostPort, p.spacePort}));
  if (s.space6) {
    out.emplace_back("published6_addr", json::array({p.hostPort, s.space6->toString()}));
    out.emplace_back("published6_port", json::array({p.hostPort, p.spacePort}));
  }
}

// Every element of a Space, in a fixed order.
void addSpaceElements(const RulesetSpace& s, Elements& out) {
  for (const char* set : {kSetIfaces, kSetTx, kSetRx, kSetAccepted, kSetRejected}) {
    out.emplace_back(set, s.ifname);
  }
  out.emplace_back("space_src4", concat({s.ifname, s.space4.toString()}));
  if (s.space6) out.emplace_back("space_src6", concat({s.ifname, s.space6->toString()}));
  out.emplace_back("space_app", concat({s.ifname, s.appPort}));
  for (const auto& o : s.overrides) out.emplace_back(overrideMap(o), overrideElem(s, o));
  for (const auto& p : s.published) addPublishedElements(s, p, out);
}

// One element command per set (in the order sets first appear), however many elements: a
// whole table of 10 000 Spaces is a few dozen commands.
void appendGrouped(const char* verb, const Elements& elements, json& cmds) {
  std::vector<std::string> order;
  std::map<std::string, json> bySet;
  for (const auto& [set, elem] : elements) {
    auto [it, inserted] = bySet.try_emplace(set, json::array());
    if (inserted) order.push_back(set);
    it->second.push_back(elem);
  }
  for (const auto& set : order) cmds.push_back(elementCommand(verb, set, std::move(bySet[set])));
}

void appendSpace(const char* verb, const RulesetSpace& s, json& cmds) {
  Elements elements;
  addSpaceElements(s, elements);
  appendGrouped(verb, elements, cmds);
}

json document(json cmds) {
  return {{"nftables", std::move(cmds)}};
}

}  // namespace

std::vector<Prefix> normalizePrefixes(std::vector<Prefix> prefixes) {
  for (auto& p : prefixes) p = p.network();
  // Shorter prefixes first among equal addresses, so a covering prefix precedes what it covers.
  std::sort(prefixes.begin(), prefixes.end(), [](const Prefix& a, const Prefix& b) {
    return a.address != b.address ? a.address < b.address : a.length < b.length;
  });
  std::vector<Prefix> out;
  for (const auto& p : prefixes) {
    if (!out.empty() && out.back().contains(p)) continue;
    out.push_back(p);
  }
  return out;
}

RulesetParams rulesetParams(const Config& config) {
  RulesetParams p;
  p.pool4 = config.ipv4Pool;
  p.pool6 = config.ipv6Prefix;
  p.masquerade6 = config.ipv6Masquerade;
  p.resolvers = config.resolvers;
  p.egressTcpPorts = config.egressTcpPorts;
  std::vector<Prefix> deny4 = builtinDeny4(), deny6 = builtinDeny6();
  for (const auto& extra : config.extraDeny)
    (extra.address.isV4() ? deny4 : deny6).push_back(extra);
  deny4.push_back(config.ipv4Pool);
  if (config.ipv6Prefix) deny6.push_back(*config.ipv6Prefix);
  p.deny4 = normalizePrefixes(std::move(deny4));
  p.deny6 = normalizePrefixes(std::move(deny6));
  return p;
}

nlohmann::json renderTable(const RulesetParams& params, const std::vector<RulesetSpace>& spaces) {
  // "add; delete; add" replaces the table whether or not it exists, in one transaction.
  json cmds = json::array({tableCommand("add"), tableCommand("delete"), tableCommand("add")});
  addSets(params, cmds);
  addChains(params, cmds);
  Elements elements;
  for (const auto& s : spaces) addSpaceElements(s, elements);
  appendGrouped("add", elements, cmds);
  return document(std::move(cmds));
}

nlohmann::json renderSpaceAdd(const RulesetSpace& space, std::optional<uint16_t> replacedAppPort) {
  json cmds = json::array();
  if (replacedAppPort && *replacedAppPort != space.appPort) {
    json old = json::array({concat({space.ifname, *replacedAppPort})});
    cmds.push_back(elementCommand("add", "space_app", old));
    cmds.push_back(elementCommand("delete", "space_app", old));
  }
  appendSpace("add", space, cmds);
  return document(std::move(cmds));
}

nlohmann::json renderSpaceDelete(const RulesetSpace& space) {
  json cmds = json::array();
  appendSpace("add", space, cmds);
  appendSpace("delete", space, cmds);
  return document(std::move(cmds));
}

nlohmann::json renderOverride(bool add, const RulesetSpace& space, const Override& o) {
  json elem = json::array({overrideElem(space, o)});
  json cmds = json::array({elementCommand("add", overrideMap(o), elem)});
  if (!add) cmds.push_back(elementCommand("delete", overrideMap(o), elem));
  return document(std::move(cmds));
}

nlohmann::json renderPublished(bool add, const RulesetSpace& space, const PublishedPort& port) {
  Elements elements;
  addPublishedElements(space, port, elements);
  json cmds = json::array();
  appendGrouped("add", elements, cmds);
  if (!add) appendGrouped("delete", elements, cmds);
  return document(std::move(cmds));
}

}  // namespace spacelet::netpolicy

// spacelet-net's subcommands over the netpolicy library (see commands.h and `spacelet-net
// --help`). Output goes to stdout; with --json, machine-readable JSON.
#include "commands.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "../ruleset.h"
#include "show_format.h"
#include "spacelet/netpolicy/net_policy.h"

namespace spacelet::netpolicy::cli {
namespace {

Result<void> expectArgs(const Invocation& inv, size_t min, size_t max, const char* usage) {
  if (inv.args.size() < min || inv.args.size() > max) {
    return failInvalid(std::string("usage: spacelet-net ") + usage);
  }
  return {};
}

Result<uint16_t> parsePort(const std::string& text, const char* what) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > 65535) {
    return failInvalid(std::string(what) + " '" + text + "' is not a port (1 to 65535)");
  }
  return static_cast<uint16_t>(value);
}

Result<std::unique_ptr<NetPolicy>> openPolicy(const Invocation& inv) {
  return NetPolicy::open(inv.config);
}

void printNetwork(const SpaceNetwork& n, bool json) {
  if (json) {
    nlohmann::json j = {{"space_id", n.spaceId},          {"ifname", n.ifname},
                        {"netns", n.netnsPath},           {"host_ipv4", n.hostIpv4.toString()},
                        {"ipv4", n.spaceIpv4.toString()}, {"app_port", n.appPort},
                        {"resolv_conf", n.resolvConf}};
    if (n.spaceIpv6) {
      j["host_ipv6"] = n.hostIpv6->toString();
      j["ipv6"] = n.spaceIpv6->toString();
    }
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << "Space " << n.spaceId << ": " << n.ifname << ", netns " << n.netnsPath << "\n"
            << "  ipv4 " << n.spaceIpv4.toString() << " via " << n.hostIpv4.toString() << "\n";
  if (n.spaceIpv6) {
    std::cout << "  ipv6 " << n.spaceIpv6->toString() << " via " << n.hostIpv6->toString() << "\n";
  }
  std::cout << "  app port " << n.appPort << "\n";
}

}  // namespace

Result<void> runCheck(const Invocation& inv) {
  SPACELET_TRY(expectArgs(inv, 0, 0, "check"));
  SPACELET_TRY(checkPrerequisites(inv.config));
  std::cout << "ok: nft, nf_tables, veth and the ruleset all work here\n";
  if (inv.config.resolvers.empty()) {
    std::cout << "note: no resolvers are configured (network.resolvers): Spaces get no DNS\n";
  }
  return {};
}

Result<void> runRuleset(const Invocation& inv) {
  SPACELET_TRY(expectArgs(inv, 0, 0, "ruleset"));
  std::cout << renderTable(rulesetParams(inv.config), {}).dump(2) << "\n";
  return {};
}

Result<void> runShow(const Invocation& inv) {
  SPACELET_TRY(expectArgs(inv, 0, 1, "show [SPACE]"));
  auto policy = openPolicy(inv);
  if (!policy) return fail(std::move(policy).error());
  auto spaces = (*policy)->show();
  if (!spaces) return fail(std::move(spaces).error());
  if (inv.args.size() == 1) {
    std::erase_if(*spaces, [&](const SpaceStatus& s) { return s.network.spaceId != inv.args[0]; });
    if (spaces->empty()) return fail(Error{ENOENT, "Space '" + inv.args[0] + "' has no network"});
  }
  if (inv.json) {
    std::cout << formatShowJson(*spaces).dump(2) << "\n";
  } else {
    std::cout << formatShowText(*spaces);
  }
  return {};
}

Result<void> runAttach(const Invocation& inv) {
  SPACELET_TRY(expectArgs(inv, 1, 2, "attach SPACE [APP_PORT]"));
  SpaceSpec spec{inv.args[0], 0};
  if (inv.args.size() == 2) {
    auto port = parsePort(inv.args[1], "app port");
    if (!port) return fail(std::move(port).error());
    spec.appPort = *port;
  }
  auto policy = openPolicy(inv);
  if (!policy) return fail(std::move(policy).error());
  auto network = (*policy)->attach(spec);
  if (!network) return fail(std::move(network).error());
  printNetwork(*network, inv.json);
  return {};
}

Result<void> runDetach(const Invocation& inv) {
  SPACELET_TRY(expectArgs(inv, 1, 1, "detach SPACE"));
  auto policy = openPolicy(inv);
  if (!policy) return fail(std::move(policy).error());
  SPACELET_TRY((*policy)->detach(inv.args[0]));
  return (*policy)->settle();  // the command returns once the links are gone
}

Result<void> runRelease(const Invocation& inv) {
  SPACELET_TRY(expectArgs(inv, 1, 1, "release SPACE"));
  auto policy = openPolicy(inv);
  if (!policy) return fail(std::move(policy).error());
  SPACELET_TRY((*policy)->release(inv.args[0]));
  return (*policy)->settle();  // the command returns once the links are gone
}

// reconcile --leased | SPACE[:APP_PORT]...: the Spaces named (or every leased one) stay.
Result<void> runReconcile(const Invocation& inv) {
  if (inv.args.empty()) {
    return failInvalid("usage: spacelet-net reconcile --leased | SPACE[:APP_PORT]...");
  }
  auto policy = openPolicy(inv);
  if (!policy) return fail(std::move(policy).error());
  std::vector<SpaceSpec> desired;
  if (inv.args.size() == 1 && inv.args[0] == "--leased") {
    auto spaces = (*policy)->show();
    if (!spaces) return fail(std::move(spaces).error());
    for (const auto& s : *spaces) desired.push_back({s.network.spaceId, s.network.appPort});
  } else {
    for (const auto& arg : inv.args) {
      auto colon = arg.rfind(':');
      SpaceSpec spec{arg.substr(0, colon), 0};
      if (colon != std::string::npos) {
        auto port = parsePort(arg.substr(colon + 1), "app port");
        if (!port) return fail(std::move(port).error());
        spec.appPort = *port;
      }
      desired.push_back(spec);
    }
  }
  auto last = std::chrono::steady_clock::now();
  auto progress = [&](size_t done, size_t total) {
    auto now = std::chrono::steady_clock::now();
    if (done != total && now - last < std::chrono::seconds(1)) return;
    last = now;
    std::cerr << "reconcile: " << done << "/" << total << " Spaces checked\n";
  };
  SPACELET_TRY((*policy)->reconcile(desired, progress));
  std::cout << "reconciled: " << desired.size() << " Spaces\n";
  return {};
}

// override SPACE add|remove allow|deny tcp|udp DESTINATION PORT[-PORT]
Result<void> runOverride(const Invocation& inv) {
  const char* usage = "override SPACE add|remove allow|deny tcp|udp DESTINATION PORT[-PORT]";
  SPACELET_TRY(expectArgs(inv, 6, 6, usage));
  const std::string& action = inv.args[1];
  if (action != "add" && action != "remove") {
    return failInvalid("'" + action + "' is not 'add' or 'remove'; usage: spacelet-net " + usage);
  }
  auto rule =
      Override::parse(inv.args[2] + " " + inv.args[3] + " " + inv.args[4] + " " + inv.args[5]);
  if (!rule) return fail(std::move(rule).error());
  auto policy = openPolicy(inv);
  if (!policy) return fail(std::move(policy).error());
  if (action == "add") return (*policy)->addOverride(inv.args[0], *rule);
  return (*policy)->removeOverride(inv.args[0], *rule);
}

// publish SPACE NODE_PORT[:SPACE_PORT] (SPACE_PORT defaults to the app port)
Result<void> runPublish(const Invocation& inv) {
  SPACELET_TRY(expectArgs(inv, 2, 2, "publish SPACE NODE_PORT[:SPACE_PORT]"));
  const std::string& spec = inv.args[1];
  auto colon = spec.find(':');
  auto host = parsePort(spec.substr(0, colon), "node port");
  if (!host) return fail(std::move(host).error());
  auto policy = openPolicy(inv);
  if (!policy) return fail(std::move(policy).error());
  uint16_t spacePort = 0;
  if (colon != std::string::npos) {
    auto port = parsePort(spec.substr(colon + 1), "Space port");
    if (!port) return fail(std::move(port).error());
    spacePort = *port;
  } else {
    auto spaces = (*policy)->show();
    if (!spaces) return fail(std::move(spaces).error());
    for (const auto& s : *spaces) {
      if (s.network.spaceId == inv.args[0]) spacePort = s.network.appPort;
    }
    if (spacePort == 0) return fail(Error{ENOENT, "Space '" + inv.args[0] + "' has no network"});
  }
  return (*policy)->publish(inv.args[0], {*host, spacePort});
}

Result<void> runUnpublish(const Invocation& inv) {
  SPACELET_TRY(expectArgs(inv, 1, 1, "unpublish NODE_PORT"));
  auto port = parsePort(inv.args[0], "node port");
  if (!port) return fail(std::move(port).error());
  auto policy = openPolicy(inv);
  if (!policy) return fail(std::move(policy).error());
  return (*policy)->unpublish(*port);
}

}  // namespace spacelet::netpolicy::cli

// spacelet-net: the operator's view of, and hand on, the Spaces' networks. Parses the global
// options, loads the configuration (the agent's file, /etc/spacelet/config.yaml, by default)
// and runs one subcommand; errors are printed once, here.
#include <unistd.h>

#include <cstring>
#include <functional>
#include <iostream>
#include <map>

#include "commands.h"
#include "spacelet/base/log.h"

namespace spacelet::netpolicy::cli {
namespace {

constexpr char kDefaultConfig[] = "/etc/spacelet/config.yaml";

constexpr char kUsage[] = R"(usage: spacelet-net [OPTIONS] COMMAND [ARGS]

Each Space has its own network namespace behind a veth pair; one nftables table
(inet spacelet) lets it reach only DNS at the resolvers and TCP 80, 443 and 8080.

Commands:
  check                        check nft, nf_tables, veth and the configuration
  ruleset                      print the table's rules (nft JSON), without Spaces
  show [SPACE]                 Spaces, addresses, counters, overrides, published ports
  attach SPACE [APP_PORT]      give a Space its network (same addresses every time)
  detach SPACE                 remove its network; keep its addresses leased
  release SPACE                detach and free its addresses and policy
  reconcile --leased | SPACE[:APP_PORT]...
                               rebuild the table for exactly these Spaces
  override SPACE add|remove allow|deny tcp|udp DESTINATION PORT[-PORT]
                               an explicit per-Space exception to the policy
  publish SPACE NODE_PORT[:SPACE_PORT]
                               forward a node TCP port to the Space (no front proxy)
  unpublish NODE_PORT

Options:
  --config FILE      configuration (default: /etc/spacelet/config.yaml when present;
                     its network: section and paths: are used)
  --node-netns PATH  the node's network namespace (default: this process's)
  --state-dir DIR    leases and policy (default: from the configuration)
  --netns-dir DIR    Space namespace files (default: from the configuration)
  --json             print JSON
  -h, --help         this text
)";

struct GlobalOptions {
  std::string configPath;
  std::map<std::string, std::string> overrides;  // option -> value
  bool json = false;
  std::vector<std::string> rest;
};

Result<GlobalOptions> parseGlobal(int argc, char** argv) {
  GlobalOptions o;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    std::string a = argv[i];
    if (a == "--json") {
      o.json = true;
    } else if (a == "--config" || a == "--node-netns" || a == "--state-dir" || a == "--netns-dir") {
      if (i + 1 >= argc) return failInvalid("option '" + a + "' needs a value");
      (a == "--config" ? o.configPath : o.overrides[a]) = argv[++i];
    } else {
      return failInvalid("unknown option '" + a + "' (see spacelet-net --help)");
    }
  }
  for (; i < argc; ++i) o.rest.emplace_back(argv[i]);
  return o;
}

Result<Config> loadConfig(const GlobalOptions& o) {
  Config config;
  std::string path = o.configPath;
  if (path.empty() && ::access(kDefaultConfig, R_OK) == 0) path = kDefaultConfig;
  if (!path.empty()) {
    auto loaded = loadConfigFile(path);
    if (!loaded) return fail(std::move(loaded).error());
    config = std::move(*loaded);
  }
  for (const auto& [option, value] : o.overrides) {
    if (option == "--node-netns") config.nodeNetns = value;
    if (option == "--state-dir") config.stateDir = value;
    if (option == "--netns-dir") config.netnsDir = value;
  }
  SPACELET_TRY_CONTEXT(validate(config), "command-line options");
  return config;
}

using Command = std::function<Result<void>(const Invocation&)>;

const std::map<std::string, Command>& commands() {
  static const std::map<std::string, Command> table = {
      {"check", runCheck},         {"ruleset", runRuleset},   {"show", runShow},
      {"attach", runAttach},       {"detach", runDetach},     {"release", runRelease},
      {"reconcile", runReconcile}, {"override", runOverride}, {"publish", runPublish},
      {"unpublish", runUnpublish}};
  return table;
}

Result<void> run(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "--help")) {
      std::cout << kUsage;
      return {};
    }
  }
  auto options = parseGlobal(argc, argv);
  if (!options) return fail(std::move(options).error());
  if (options->rest.empty()) return failInvalid("no command given (see spacelet-net --help)");
  auto it = commands().find(options->rest[0]);
  if (it == commands().end()) {
    return failInvalid("unknown command '" + options->rest[0] + "' (see spacelet-net --help)");
  }
  auto config = loadConfig(*options);
  if (!config) return fail(std::move(config).error());
  Invocation inv{
      std::move(*config), options->json, {options->rest.begin() + 1, options->rest.end()}};
  return it->second(inv);
}

}  // namespace
}  // namespace spacelet::netpolicy::cli

int main(int argc, char** argv) {
  spacelet::log::configure({.fd = 2, .program = "spacelet-net"});
  auto result = spacelet::netpolicy::cli::run(argc, argv);
  if (result) return 0;
  spacelet::log::error(result.error().message);
  return result.error().code == EINVAL ? 2 : 1;
}

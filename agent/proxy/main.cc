// spacelet-proxy: the node's front proxy. Each Space is served at its own host
// ("<author>-<name>.<domain>") on the listen addresses; the agent keeps the routes file
// current. It runs apart from spaceletd so that Spaces stay reachable while the agent
// restarts.
#include <cstdio>
#include <string>
#include <vector>

#include "agent/proxy/proxy_server.h"
#include "spacelet/base/log.h"

namespace {

const char kUsage[] =
    "usage: spacelet-proxy --routes FILE --listen ADDR:PORT [--listen ADDR:PORT]...\n"
    "         [--ack FILE] [--backend-netns FILE]\n"
    "Routes each connection by its Host header to the backend the routes file names for it.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace spacelet;
  log::configure(log::Sink{2, log::Format::kText, log::Level::kInfo, "spacelet-proxy"});
  agent::proxy::ProxyOptions options;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= args.size()) {
      log::error("'" + a + "' needs a value\n" + kUsage);
      return 2;
    }
    const std::string& v = args[++i];
    if (a == "--routes") {
      options.routesFile = v;
    } else if (a == "--listen") {
      options.listen.push_back(v);
    } else if (a == "--ack") {
      options.ackFile = v;
    } else if (a == "--backend-netns") {
      options.backendNetns = v;
    } else {
      log::error("unknown option '" + a + "'\n" + kUsage);
      return 2;
    }
  }
  if (options.routesFile.empty()) {
    log::error(std::string("--routes is required\n") + kUsage);
    return 2;
  }
  auto server = agent::proxy::ProxyServer::create(std::move(options));
  if (!server) {
    log::error(server.error().message);
    return 1;
  }
  auto code = (*server)->run();
  if (!code) {
    log::error(code.error().message);
    return 1;
  }
  return *code;
}

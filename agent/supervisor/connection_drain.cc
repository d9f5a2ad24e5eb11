// Counting the connections an old deployment still serves (see connection_drain.h).
#include "agent/supervisor/connection_drain.h"

#include <fcntl.h>

#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "spacelet/base/file_io.h"

namespace spacelet::agent::supervisor {
namespace {

// proc(5): "sl local_address rem_address st ..."; addresses are HEX_IP:HEX_PORT.
constexpr std::string_view kEstablished = "01", kSynRecv = "03", kListen = "0A";

struct Entry {
  std::string localPort;
  std::string state;
};

std::vector<Entry> parseTable(std::string_view table) {
  std::vector<Entry> entries;
  std::istringstream lines{std::string(table)};
  std::string line;
  std::getline(lines, line);  // the header
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    if (!(fields >> slot >> local >> remote >> state)) continue;
    auto colon = local.rfind(':');
    if (colon == std::string::npos) continue;
    entries.push_back({local.substr(colon + 1), state});
  }
  return entries;
}

size_t servedIn(pid_t pid) {
  std::string tables;
  for (const char* name : {"tcp", "tcp6"}) {
    auto text = readFileAt(AT_FDCWD, "/proc/" + std::to_string(pid) + "/net/" + name);
    if (!text) continue;
    tables += *text;  // the second header line has no address and is skipped as well
    if (tables.back() != '\n') tables += '\n';
  }
  return countServedConnections(tables);
}

}  // namespace

size_t countServedConnections(std::string_view tcpTable) {
  auto entries = parseTable(tcpTable);
  std::set<std::string> listening;
  for (const auto& e : entries)
    if (e.state == kListen) listening.insert(e.localPort);
  size_t served = 0;
  for (const auto& e : entries) {
    if ((e.state == kEstablished || e.state == kSynRecv) && listening.count(e.localPort)) ++served;
  }
  return served;
}

size_t waitForDrain(pid_t pid, std::chrono::milliseconds limit) {
  if (pid <= 0) return 0;
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    size_t open = servedIn(pid);
    if (open == 0 || std::chrono::steady_clock::now() >= deadline) return open;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace spacelet::agent::supervisor

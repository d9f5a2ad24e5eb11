// Node facts for /v1/info (see node_facts.h).
#include "agent/daemon/node_facts.h"

#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <unistd.h>

namespace spacelet::agent::daemon {

std::string detectCgroupMode(const std::string& cgroupRoot) {
  struct statfs fs {};
  if (::statfs(cgroupRoot.c_str(), &fs) != 0) return "none";
  if (fs.f_type == CGROUP2_SUPER_MAGIC) return "unified";
  struct statfs unified {};
  if (::statfs((cgroupRoot + "/unified").c_str(), &unified) == 0 &&
      unified.f_type == CGROUP2_SUPER_MAGIC) {
    return "hybrid";
  }
  return "legacy";
}

api::NodeFacts readNodeFacts(const std::string& version, const std::string& cgroupRoot) {
  api::NodeFacts facts;
  facts.version = version;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) facts.hostname = host;
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  facts.cpus = cpus > 0 ? static_cast<unsigned>(cpus) : 0;
  struct sysinfo info {};
  if (::sysinfo(&info) == 0)
    facts.memoryBytes = static_cast<uint64_t>(info.totalram) * info.mem_unit;
  facts.cgroupMode = detectCgroupMode(cgroupRoot);
  return facts;
}

}  // namespace spacelet::agent::daemon

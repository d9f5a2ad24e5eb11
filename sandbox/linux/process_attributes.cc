// One-call process settings (see process_attributes.h).
#include "sandbox/linux/process_attributes.h"

#include <fcntl.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>

#include "spacelet/base/file_io.h"

namespace spacelet::sandbox::linux {

StepError setHostAndDomainName(const std::string& hostname, const std::string& domainname) {
  if (!hostname.empty() && ::sethostname(hostname.data(), hostname.size()) != 0) {
    return stepFail("set hostname", hostname.c_str());
  }
  if (!domainname.empty() && ::setdomainname(domainname.data(), domainname.size()) != 0) {
    return stepFail("set domainname", domainname.c_str());
  }
  return stepOk();
}

StepError setPersonality(std::optional<unsigned long> persona) {
  if (persona && ::personality(*persona) < 0) return stepFail("set personality");
  return stepOk();
}

StepError setAppArmorProfile(const std::string& profile) {
  if (profile.empty()) return stepOk();
  int fd = ::open("/proc/self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
  // COMPAT(linux<5.8): the LSM-specific attr directory.
  if (fd < 0) fd = ::open("/proc/self/attr/exec", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return stepFail("open AppArmor exec attribute for", profile.c_str());
  char buf[512];
  static const char kPrefix[] = "exec ";
  size_t len = profile.size();
  if (len + sizeof kPrefix > sizeof buf) {
    ::close(fd);
    return stepFail("AppArmor profile name too long", profile.c_str(), ENAMETOOLONG);
  }
  std::memcpy(buf, kPrefix, sizeof kPrefix - 1);
  std::memcpy(buf + sizeof kPrefix - 1, profile.data(), len);
  ssize_t n = ::write(fd, buf, sizeof kPrefix - 1 + len);
  int err = errno;
  ::close(fd);
  if (n < 0) return stepFail("apply AppArmor profile", profile.c_str(), err);
  return stepOk();
}

bool appArmorEnabled() {
  auto text = readFileAt(AT_FDCWD, "/sys/module/apparmor/parameters/enabled");
  return text && !text->empty() && (*text)[0] == 'Y';
}

Result<void> applyRlimits(pid_t pid, const std::vector<spec::Rlimit>& rlimits) {
  for (const auto& limit : rlimits) {
    struct rlimit value {
      limit.soft, limit.hard
    };
    if (::prlimit(pid, static_cast<__rlimit_resource>(limit.resource), &value, nullptr) != 0) {
      return failErrno(errno, "set " + limit.type + " (process.rlimits) to " +
                                  std::to_string(limit.soft) + "/" + std::to_string(limit.hard));
    }
  }
  return {};
}

Result<void> setOomScoreAdj(pid_t pid, int value) {
  std::string path = "/proc/" + std::to_string(pid) + "/oom_score_adj";
  SPACELET_TRY_CONTEXT(writeFileAt(AT_FDCWD, path, std::to_string(value)),
                       "set process.oomScoreAdj");
  return {};
}

}  // namespace spacelet::sandbox::linux

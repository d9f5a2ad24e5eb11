// A temp dir that plays a cgroup directory, youki-style: interface files created empty,
// writable (0644) or read-only (0444), so plans can be validated against it, applied to it
// and the results read back.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>

#include "spacelet/base/unique_fd.h"
#include "test_env.h"

namespace spacelet::sandbox::cgroup::testing {

class FakeCgroupDir {
 public:
  FakeCgroupDir() : dir_("spacelet-fake-cgroup") {
    fd_ = UniqueFd(::open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }
  void addFiles(std::initializer_list<const char*> names, mode_t mode = 0644) {
    for (const char* name : names) {
      std::ofstream(dir_ / name) << "";
      ::chmod((dir_ / name).c_str(), mode);
    }
  }
  std::string read(const std::string& name) const {
    std::ifstream in(dir_ / name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  int fd() const { return fd_.get(); }

 private:
  spacelet::testing::TempDir dir_;
  UniqueFd fd_;
};

}  // namespace spacelet::sandbox::cgroup::testing

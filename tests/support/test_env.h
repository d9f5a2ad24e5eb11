// Shared helpers for spacelet's tests: where the built binaries are, temp dirs that clean
// themselves up, skipping privileged tests with a stated reason, and a busybox rootfs.
// The VM harness sets SPACELET_BINARY_DIR / SPACELET_SOURCE_DIR when it runs the same test
// binaries from another path; otherwise the paths compiled into the test are used.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace spacelet::testing {

// The build tree (for spacelet-run, spacelet-probe, ...) and the source tree.
std::string binaryDir();
std::string sourceDir();

// Paths of built programs.
std::string runtimePath();  // spacelet-run
std::string probePath();    // the static probe that reports from inside containers

// A fresh directory under $TMPDIR (default /tmp), removed with everything in it (after
// unmounting anything still mounted below it) when the object goes out of scope.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "spacelet-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

// Returns an empty string when the test can run; otherwise why it cannot (not root, a
// missing kernel feature, ...). Use: if (auto why = requireRoot(); !why.empty()) GTEST_SKIP() <<
// why;
std::string requireRoot();

// On a pure cgroup v2 host, the parent of this process's own cgroup ("" for the root): where a
// test puts its containers' cgroups, since cgroup v2 lets no cgroup that holds processes
// enable controllers for its children. The VM harness runs each binary in a leaf whose parent
// delegates every controller (what a Delegate=yes service that moved itself into a leaf has).
// nullopt on v1/hybrid hosts, where containers go below the test's own cgroup.
std::optional<std::string> v2ContainerParent();

// Fills `rootfs` with busybox-static (every applet linked into /bin), the probe at
// /bin/spacelet-probe, /etc/passwd and /etc/group (root and user 1000), and empty
// /proc, /sys, /dev, /tmp, /home/user. Returns an empty string or the error.
std::string makeBusyboxRootfs(const std::string& rootfs);

// Runs argv to completion, capturing stdout and stderr together. Returns the exit status
// as a shell would report it (128+signal for a signal).
struct CommandResult {
  int status = -1;
  std::string output;
};
CommandResult runCommand(const std::vector<std::string>& argv, const std::string& stdinData = "");

}  // namespace spacelet::testing

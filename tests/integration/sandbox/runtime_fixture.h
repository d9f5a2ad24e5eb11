// The fixture of spacelet-run's integration tests: a busybox bundle with the probe, a
// private --root, helpers to run containers and parse what the probe reports from inside,
// and cleanup (delete --force of every container a test made, even when it fails).
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_env.h"

namespace spacelet::sandbox::testing {

using Json = nlohmann::json;
namespace t = spacelet::testing;

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // The bundle's config.json (runc's default with terminal off); written by writeConfig(),
  // which the helpers below call. On a pure cgroup v2 host writeConfig() also sets
  // linux.cgroupsPath to cgroupOf() the id that the next newId() returns, beside this
  // process's cgroup (t::v2ContainerParent: the default, below the caller's own cgroup,
  // cannot enable controllers there).
  Json config_;
  void writeConfig();
  // A fresh container id "<prefix>-<pid>-<n>" (remembered for cleanup).
  std::string newId(const std::string& prefix = "t");
  // The name of the cgroup directory of the container `id` on a pure v2 host:
  // "sltest-<pid>-<n>", the id's suffix.
  static std::string cgroupOf(const std::string& id);

  // spacelet-run --root <state> ARGS...
  t::CommandResult runtime(const std::vector<std::string>& args, const std::string& input = "");
  // Like runtime(), but stdout/stderr go to a file: for commands whose container keeps
  // running with the runtime's stdio (create, run --detach, exec --detach), where waiting
  // for a pipe's EOF would wait for the container.
  t::CommandResult detached(const std::vector<std::string>& args);
  // `run` of a container with `args` as process.args; returns the result.
  t::CommandResult runContainer(const std::vector<std::string>& args);
  // Runs the probe with `args` inside a container (expects exit status 0) and returns its
  // JSON (the last output line).
  Json probe(const std::vector<std::string>& args = {"report"});
  // create + start of a long-running container (`sleep 1000`); returns its id.
  std::string startSleeper();
  Json state(const std::string& id);
  pid_t initPid(const std::string& id);

  static Json lastJsonLine(const std::string& output);

  t::TempDir bundle_{"spacelet-run-bundle"};
  t::TempDir state_{"spacelet-run-state"};
  std::vector<std::string> ids_;
};

// The probe's mount entry at `path`, or null.
Json findMount(const Json& report, const std::string& path);
// Capability mask from a /proc/self/status hex field.
uint64_t capMask(const Json& report, const std::string& field);

}  // namespace spacelet::sandbox::testing

// The default profile in a real container run by spacelet-run, observed from inside with
// spacelet-probe: each refusal is compared with the same container run without the profile.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sandbox/seccomp/default_profile.h"
#include "test_env.h"

namespace spacelet::sandbox::seccomp {
namespace {

using nlohmann::json;
namespace t = spacelet::testing;

class SeccompContainer : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = t::requireRoot(); !why.empty()) GTEST_SKIP() << why;
#ifndef SPACELET_HAS_RUNTIME
    GTEST_SKIP() << "spacelet-run is not part of this build yet";
#endif
    ASSERT_EQ(::access(t::runtimePath().c_str(), X_OK), 0) << t::runtimePath() << " is not built";
    ASSERT_EQ(t::makeBusyboxRootfs(bundle_ / "rootfs"), "");
    auto spec = t::runCommand({t::runtimePath(), "spec", "--bundle", bundle_.path()});
    ASSERT_EQ(spec.status, 0) << spec.output;
    std::ifstream in(bundle_ / "config.json");
    config_ = json::parse(in);
    config_["process"]["terminal"] = false;
  }

  // Runs `args` in the container and returns what the last output line says (the probe's JSON,
  // or {"output": ...} for other programs).
  json run(const std::vector<std::string>& args, bool withProfile) {
    json config = config_;
    config["process"]["args"] = args;
    if (withProfile) config["linux"]["seccomp"] = defaultProfile();
    std::ofstream(bundle_ / "config.json") << config.dump();
    std::string id = "seccomp-test-" + std::to_string(::getpid()) + "-" + std::to_string(++runs_);
    auto result = t::runCommand(
        {t::runtimePath(), "--root", state_.path(), "run", "--bundle", bundle_.path(), id});
    EXPECT_EQ(result.status, 0) << result.output;
    std::string line, last;
    std::istringstream lines(result.output);
    while (std::getline(lines, line))
      if (!line.empty()) last = line;
    try {
      return json::parse(last);
    } catch (const json::exception&) {
      return {{"output", result.output}};
    }
  }
  json probe(const std::vector<std::string>& args, bool withProfile) {
    std::vector<std::string> full = {"/bin/spacelet-probe"};
    full.insert(full.end(), args.begin(), args.end());
    return run(full, withProfile);
  }

  t::TempDir bundle_{"spacelet-seccomp-bundle"};
  t::TempDir state_{"spacelet-seccomp-state"};
  json config_;
  int runs_ = 0;
};

TEST_F(SeccompContainer, UnshareUserNamespaceIsRefusedWithEperm) {
  EXPECT_EQ(probe({"syscall", "unshare-user"}, false)["ok"], true) << "control: allowed without";
  auto r = probe({"syscall", "unshare-user"}, true);
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["errno"], EPERM);
}

TEST_F(SeccompContainer, Clone3AnswersEnosys) {
  EXPECT_EQ(probe({"syscall", "clone3"}, false)["errno"], EINVAL) << "control: the kernel's answer";
  EXPECT_EQ(probe({"syscall", "clone3"}, true)["errno"], ENOSYS);
}

TEST_F(SeccompContainer, OnlyHarmlessPersonalitiesAreAllowed) {
  EXPECT_EQ(probe({"syscall", "personality", "0x40000"}, false)["ok"], true) << "control";
  EXPECT_EQ(probe({"syscall", "personality", "0x40000"}, true)["errno"], EPERM);
  EXPECT_EQ(probe({"syscall", "personality", "0"}, true)["ok"], true);
}

TEST_F(SeccompContainer, OrdinaryProgramsStillRun) {
  auto r = run({"/bin/sh", "-c", "echo ok; ls /"}, true);
  std::string output = r.value("output", "");
  EXPECT_EQ(output.rfind("ok\n", 0), 0u) << output;
  EXPECT_NE(output.find("bin"), std::string::npos) << output;
  EXPECT_EQ(probe({"syscall", "getpid"}, true)["return"], 1) << "the container's init is pid 1";
}

}  // namespace
}  // namespace spacelet::sandbox::seccomp

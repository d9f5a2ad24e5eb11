// Bad input: config errors name the JSON path, missing rootfs/program are clear, and a
// failed create leaves no state, cgroup or process behind.
#include <dirent.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "runtime_fixture.h"

namespace spacelet::sandbox::testing {
namespace {

namespace fs = std::filesystem;

// Every cgroup directory named after `id` under /sys/fs/cgroup (any hierarchy).
std::vector<std::string> cgroupDirsOf(const std::string& id) {
  std::vector<std::string> found;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator("/sys/fs/cgroup", ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_directory(ec) && it->path().filename() == id) found.push_back(it->path());
    if (it.depth() > 6) it.disable_recursion_pending();
  }
  return found;
}

// Processes whose command line mentions `needle`.
int processesMentioning(const std::string& needle) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string text((std::istreambuf_iterator<char>(cmdline)), {});
    if (text.find(needle) != std::string::npos) ++count;
  }
  return count;
}

class ErrorsTest : public RuntimeTest {
 protected:
  void expectNothingLeft(const std::string& id) {
    EXPECT_FALSE(fs::exists(state_ / id)) << "state directory left behind";
    EXPECT_EQ(cgroupDirsOf(id), std::vector<std::string>{}) << "cgroup left behind";
    EXPECT_EQ(cgroupDirsOf(cgroupOf(id)), std::vector<std::string>{}) << "cgroup left behind";
    EXPECT_EQ(processesMentioning(id), 0) << "process left behind";
  }
};

TEST_F(ErrorsTest, MalformedJsonNamesTheOffset) {
  std::ofstream(bundle_ / "config.json") << "{\"ociVersion\": \"1.1.0\",";
  std::string id = newId();
  auto r = runtime({"create", "--bundle", bundle_.path(), id});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("config.json is not valid JSON (byte"), std::string::npos) << r.output;
  expectNothingLeft(id);
}

TEST_F(ErrorsTest, InvalidFieldsNameTheirJsonPath) {
  struct Case {
    std::function<void(Json&)> edit;
    std::string expected;
  };
  std::vector<Case> cases = {
      {[](Json& c) { c["process"]["user"]["uid"] = "root"; },
       "process.user.uid: expected an unsigned 32-bit integer, got '\"root\"'"},
      {[](Json& c) { c["mounts"][1]["options"] = "ro"; }, "mounts[1].options: expected an array"},
      {[](Json& c) { c["linux"]["namespaces"][0]["type"] = "nett"; },
       "linux.namespaces[0].type: unknown namespace type 'nett'"},
      {[](Json& c) { c["process"]["capabilities"]["bounding"][0] = "CAP_FLY"; },
       "process.capabilities.bounding[0]: unknown capability 'CAP_FLY'"},
      {[](Json& c) {
         c["linux"]["resources"]["memory"] = {{"limit", "1G"}};
       },
       "linux.resources.memory.limit"},
      {[](Json& c) {
         c["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_MAYBE"}};
       },
       "linux.seccomp.defaultAction"},
      {[](Json& c) {
         c["hostname"] = "h";
         c["linux"]["namespaces"] = {{{"type", "mount"}}};
       },
       "hostname: setting a hostname needs a new uts namespace"},
  };
  for (const auto& c : cases) {
    Json saved = config_;
    c.edit(config_);
    writeConfig();
    std::string id = newId();
    auto r = runtime({"create", "--bundle", bundle_.path(), id});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.output.find(c.expected), std::string::npos) << r.output;
    expectNothingLeft(id);
    config_ = saved;
  }
}

TEST_F(ErrorsTest, MissingRootfs) {
  config_["root"]["path"] = "no-such-rootfs";
  writeConfig();
  std::string id = newId();
  auto r = runtime({"create", "--bundle", bundle_.path(), id});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(
      r.output.find("root.path: rootfs '" + bundle_.path() + "/no-such-rootfs' does not exist"),
      std::string::npos)
      << r.output;
  expectNothingLeft(id);
}

TEST_F(ErrorsTest, MissingBundle) {
  auto r = runtime({"create", "--bundle", "/nonexistent-bundle", newId()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("bundle '/nonexistent-bundle'"), std::string::npos) << r.output;
}

TEST_F(ErrorsTest, MissingProgramFailsCreateAndLeavesNothing) {
  config_["process"]["args"] = {"no-such-program", "--flag"};
  writeConfig();
  std::string id = newId();
  auto r = detached({"create", "--bundle", bundle_.path(), id});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("executable not found in the container"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("'no-such-program'"), std::string::npos) << r.output;
  expectNothingLeft(id);
}

TEST_F(ErrorsTest, FailureInsideTheInitLeavesNothing) {
  // A bind mount whose source exists but whose destination cannot be created: the rootfs
  // has a regular file where a directory is needed.
  std::ofstream(bundle_ / "rootfs/blocker") << "x";
  config_["mounts"].push_back({{"destination", "/blocker/sub"},
                               {"type", "tmpfs"},
                               {"source", "tmpfs"},
                               {"options", {"size=1m"}}});
  writeConfig();
  std::string id = newId();
  auto r = detached({"create", "--bundle", bundle_.path(), id});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("'/blocker/sub'"), std::string::npos) << r.output;
  expectNothingLeft(id);
}

TEST_F(ErrorsTest, BadFlagsAndCommands) {
  auto r = runtime({"frobnicate"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("unknown command 'frobnicate'"), std::string::npos);
  r = runtime({"create", "--bogus", "x"});
  EXPECT_NE(r.output.find("unknown flag '--bogus'"), std::string::npos) << r.output;
  r = runtime({"create", "--preserve-fds", "many", "x"});
  EXPECT_NE(r.output.find("--preserve-fds 'many': expected a non-negative number"),
            std::string::npos)
      << r.output;
}

TEST_F(ErrorsTest, JsonLogFormat) {
  std::string log = state_ / "runtime.log";
  std::vector<std::string> argv = {t::runtimePath(), "--root", state_.path(), "--log", log,
                                   "--log-format",   "json",   "start",       "ghost"};
  auto r = t::runCommand(argv);
  EXPECT_EQ(r.status, 1);
  std::ifstream in(log);
  std::string line;
  std::getline(in, line);
  Json entry = Json::parse(line);
  EXPECT_EQ(entry["level"], "error");
  EXPECT_NE(entry["msg"].get<std::string>().find("container 'ghost' does not exist"),
            std::string::npos);
  EXPECT_TRUE(entry.contains("time"));
}

}  // namespace
}  // namespace spacelet::sandbox::testing

// The spacelet-run integration fixture (see runtime_fixture.h).
#include "runtime_fixture.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

extern char** environ;

namespace spacelet::sandbox::testing {

void RuntimeTest::SetUp() {
  if (auto why = t::requireRoot(); !why.empty()) GTEST_SKIP() << why;
  ASSERT_EQ(::access(t::runtimePath().c_str(), X_OK), 0) << t::runtimePath() << " is not built";
  ASSERT_EQ(t::makeBusyboxRootfs(bundle_ / "rootfs"), "");
  auto spec = runtime({"spec", "--bundle", bundle_.path()});
  ASSERT_EQ(spec.status, 0) << spec.output;
  std::ifstream in(bundle_ / "config.json");
  config_ = Json::parse(in);
  config_["process"]["terminal"] = false;
  config_["process"]["args"] = {"/bin/spacelet-probe", "report"};
  config_["root"]["readonly"] = false;
}

void RuntimeTest::TearDown() {
  for (const auto& id : ids_) runtime({"delete", "--force", id});
}

void RuntimeTest::writeConfig() {
  Json written = config_;
  auto parent = t::v2ContainerParent();
  if (parent && written.contains("linux") && written["linux"].is_object()) {
    std::string next = "-" + std::to_string(::getpid()) + "-" + std::to_string(ids_.size());
    written["linux"]["cgroupsPath"] = *parent + "/" + cgroupOf(next);
  }
  std::ofstream(bundle_ / "config.json") << written.dump(1);
}

std::string RuntimeTest::newId(const std::string& prefix) {
  std::string id = prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(ids_.size());
  ids_.push_back(id);
  return id;
}

std::string RuntimeTest::cgroupOf(const std::string& id) {
  return "sltest" + id.substr(id.find('-'));
}

t::CommandResult RuntimeTest::runtime(const std::vector<std::string>& args,
                                      const std::string& input) {
  std::vector<std::string> argv = {t::runtimePath(), "--root", state_.path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return t::runCommand(argv, input);
}

t::CommandResult RuntimeTest::detached(const std::vector<std::string>& args) {
  std::string out = state_ / ("output-" + std::to_string(ids_.size()));
  std::vector<char*> argv;
  std::vector<std::string> full = {t::runtimePath(), "--root", state_.path()};
  full.insert(full.end(), args.begin(), args.end());
  for (auto& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  t::CommandResult result;
  if (::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) == 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  posix_spawn_file_actions_destroy(&actions);
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  result.output = text.str();
  return result;
}

t::CommandResult RuntimeTest::runContainer(const std::vector<std::string>& args) {
  config_["process"]["args"] = args;
  writeConfig();
  return runtime({"run", "--bundle", bundle_.path(), newId("run")});
}

Json RuntimeTest::lastJsonLine(const std::string& output) {
  std::istringstream lines(output);
  std::string line, last;
  while (std::getline(lines, line)) {
    if (!line.empty() && line[0] == '{') last = line;
  }
  try {
    return Json::parse(last);
  } catch (const Json::exception&) {
    return Json{{"unparsed", output}};
  }
}

Json RuntimeTest::probe(const std::vector<std::string>& args) {
  std::vector<std::string> full = {"/bin/spacelet-probe"};
  full.insert(full.end(), args.begin(), args.end());
  auto result = runContainer(full);
  EXPECT_EQ(result.status, 0) << result.output;
  return lastJsonLine(result.output);
}

std::string RuntimeTest::startSleeper() {
  config_["process"]["args"] = {"/bin/sleep", "1000"};
  writeConfig();
  std::string id = newId("sleeper");
  auto created = detached({"create", "--bundle", bundle_.path(), id});
  EXPECT_EQ(created.status, 0) << created.output;
  auto started = runtime({"start", id});
  EXPECT_EQ(started.status, 0) << started.output;
  return id;
}

Json RuntimeTest::state(const std::string& id) {
  auto result = runtime({"state", id});
  if (result.status != 0) return Json{{"error", result.output}};
  return Json::parse(result.output);
}

pid_t RuntimeTest::initPid(const std::string& id) {
  return state(id).value("pid", 0);
}

Json findMount(const Json& report, const std::string& path) {
  Json found;
  for (const auto& m : report["mounts"]) {
    if (m["path"] == path) found = m;  // the last one wins: it is the visible mount
  }
  return found;
}

uint64_t capMask(const Json& report, const std::string& field) {
  return std::stoull(report["status"][field].get<std::string>(), nullptr, 16);
}

}  // namespace spacelet::sandbox::testing

// The six hook kinds: each runs at its point of the lifecycle, in the right namespace, with
// the state on stdin; failures and timeouts are reported (and fail create) or logged
// (poststart, poststop) as the runtime-spec says.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "runtime_fixture.h"

namespace spacelet::sandbox::testing {
namespace {

namespace fs = std::filesystem;

class HooksTest : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    if (IsSkipped()) return;
    fs::create_directories(out_);
    // startContainer runs inside the container: give it the same directory there.
    config_["mounts"].push_back(
        {{"destination", "/hookout"}, {"type", "bind"}, {"source", out_}, {"options", {"rbind"}}});
  }

  // A hook that saves its stdin as <kind>.json and appends <kind> to `order`.
  Json recorder(const std::string& kind, const std::string& dir) {
    return {{"path", "/bin/sh"},
            {"args",
             {"sh", "-c",
              "cat > " + dir + "/" + kind + ".json; echo " + kind + " >> " + dir +
                  "/order; echo \"$HOOK_VAR $0\" > " + dir + "/" + kind + ".env",
              "arg0"}},
            {"env", {"HOOK_VAR=" + kind}}};
  }

  Json readJson(const std::string& kind) {
    std::ifstream in(out_ + "/" + kind + ".json");
    return in ? Json::parse(in) : Json();
  }
  std::string readText(const std::string& name) {
    std::ifstream in(out_ + "/" + name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::string out_ = bundle_ / "hookout";
};

TEST_F(HooksTest, AllSixKindsInOrderWithTheState) {
  config_["hooks"] = {{"prestart", {recorder("prestart", out_)}},
                      {"createRuntime", {recorder("createRuntime", out_)}},
                      {"createContainer", {recorder("createContainer", out_)}},
                      {"startContainer", {recorder("startContainer", "/hookout")}},
                      {"poststart", {recorder("poststart", out_)}},
                      {"poststop", {recorder("poststop", out_)}}};
  config_["process"]["args"] = {"/bin/sleep", "1000"};
  writeConfig();
  std::string id = newId();
  auto created = detached({"create", "--bundle", bundle_.path(), id});
  ASSERT_EQ(created.status, 0) << created.output;
  EXPECT_EQ(readText("order"), "prestart\ncreateRuntime\ncreateContainer\n");
  pid_t pid = initPid(id);
  for (const char* kind : {"prestart", "createRuntime", "createContainer"}) {
    Json s = readJson(kind);
    EXPECT_EQ(s["id"], id) << kind;
    EXPECT_EQ(s["status"], "creating") << kind;
    EXPECT_EQ(s["pid"], pid) << kind;
    EXPECT_EQ(s["bundle"], bundle_.path()) << kind;
  }
  EXPECT_EQ(readText("prestart.env"), "prestart arg0\n") << "args and env are the hook's own";
  ASSERT_EQ(runtime({"start", id}).status, 0);
  EXPECT_EQ(readText("order"),
            "prestart\ncreateRuntime\ncreateContainer\nstartContainer\npoststart\n");
  EXPECT_EQ(readJson("startContainer")["status"], "created");
  EXPECT_EQ(readJson("poststart")["status"], "running");
  ASSERT_EQ(runtime({"delete", "--force", id}).status, 0);
  EXPECT_EQ(readJson("poststop")["status"], "stopped");
  EXPECT_EQ(readText("order"),
            "prestart\ncreateRuntime\ncreateContainer\nstartContainer\npoststart\npoststop\n");
}

TEST_F(HooksTest, CreateContainerRunsInTheContainersNamespaces) {
  // Its mount namespace is the container's: /proc/self/ns/mnt differs from the host's.
  config_["hooks"] = {
      {"createContainer",
       {{{"path", "/bin/sh"},
         {"args", {"sh", "-c", "readlink /proc/self/ns/mnt > " + out_ + "/mnt"}}}}}};
  Json r = probe({"report"});
  std::string hookMnt = readText("mnt");
  EXPECT_EQ(hookMnt, r["namespaces"]["mnt"].get<std::string>() + "\n");
}

TEST_F(HooksTest, FailingAndSlowHooksFailCreate) {
  config_["hooks"] = {
      {"createRuntime", {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "echo no disk; exit 3"}}}}}};
  auto failed = runContainer({"/bin/true"});
  EXPECT_EQ(failed.status, 1);
  EXPECT_NE(failed.output.find("hooks.createRuntime[0] '/bin/sh' exited with status 3: no disk"),
            std::string::npos)
      << failed.output;
  config_["hooks"] = {
      {"prestart", {{{"path", "/bin/sleep"}, {"args", {"sleep", "30"}}, {"timeout", 1}}}}};
  auto start = std::chrono::steady_clock::now();
  auto slow = runContainer({"/bin/true"});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(slow.status, 1);
  EXPECT_NE(slow.output.find("did not finish within its timeout"), std::string::npos)
      << slow.output;
  EXPECT_LT(seconds, 10) << "the timeout cut the hook short";
  config_["hooks"] = {{"createContainer", {{{"path", "/no/such/hook"}}}}};
  auto missing = runContainer({"/bin/true"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.output.find("hooks.createContainer[0] '/no/such/hook'"), std::string::npos)
      << missing.output;
  EXPECT_EQ(runtime({"list", "-q"}).output, "") << "failed creates leave nothing";
}

TEST_F(HooksTest, FailingStartContainerHookFailsStart) {
  config_["hooks"] = {{"startContainer", {{{"path", "/bin/false"}}}},
                      {"poststart", {recorder("poststart", out_)}}};
  config_["process"]["args"] = {"/bin/sleep", "1000"};
  writeConfig();
  std::string id = newId();
  ASSERT_EQ(detached({"create", "--bundle", bundle_.path(), id}).status, 0);
  auto started = runtime({"start", id});
  EXPECT_EQ(started.status, 1);
  EXPECT_NE(started.output.find("failed before running the program"), std::string::npos)
      << started.output;
  EXPECT_FALSE(fs::exists(out_ + "/poststart.json")) << "no poststart after a failed start";
  EXPECT_EQ(state(id)["status"], "stopped");
  // In the foreground, run reports the hook's own error.
  auto ran = runContainer({"/bin/true"});
  EXPECT_EQ(ran.status, 1);
  EXPECT_NE(ran.output.find("hooks.startContainer[0] '/bin/false' exited with status 1"),
            std::string::npos)
      << ran.output;
}

TEST_F(HooksTest, PoststartAndPoststopFailuresAreWarnings) {
  Json failing = {{"path", "/bin/false"}};
  config_["hooks"] = {{"poststart", {failing}}, {"poststop", {failing}}};
  auto ran = runContainer({"/bin/spacelet-probe", "exit", "0"});
  EXPECT_EQ(ran.status, 0) << ran.output;
  EXPECT_NE(ran.output.find("warning: container"), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("hooks.poststart[0] '/bin/false' exited with status 1"),
            std::string::npos);
  EXPECT_NE(ran.output.find("hooks.poststop[0] '/bin/false' exited with status 1"),
            std::string::npos);
}

}  // namespace
}  // namespace spacelet::sandbox::testing

// spacectl against the real agent: human tables and --json, secrets from stdin, logs and
// events (also followed as they happen), wait (reached, timed out, error stage), and the
// documented exit codes.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <functional>
#include <thread>

#include "agent/store/space_paths.h"
#include "agent_fixture.h"

namespace spacelet::agent::testing {
namespace {

using namespace std::chrono_literals;
using spacelet::testing::CommandResult;
using spacelet::testing::runCommand;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(agent_.start(), ""); }
  CommandResult ctl(std::vector<std::string> args, const std::string& input = "") const {
    args.insert(args.begin(), {spacectlPath(), "--socket", agent_.socket()});
    return runCommand(args, input);
  }
  // Starts spacectl with its output on a pipe, for commands that stream (-f).
  process::Child ctlStreaming(std::vector<std::string> args) const {
    args.insert(args.begin(), {spacectlPath(), "--socket", agent_.socket()});
    process::SpawnOptions o;
    o.argv = std::move(args);
    o.stdoutMode = process::Stream::kPipe;
    o.mergeStderr = true;
    auto child = process::spawn(o);
    EXPECT_TRUE(child) << child.error().message;
    return child ? std::move(*child) : process::Child();
  }
  AgentInstance agent_;
};

// Reads a streaming child's output into `seen` until `done(seen, ended)` holds (true), or
// `limit` passes (false). `ended`: the child closed its output.
bool readStream(process::Child& child, std::string& seen,
                const std::function<bool(const std::string&, bool)>& done,
                std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  bool ended = false;
  while (!done(seen, ended)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{child.stdoutPipe.get(), POLLIN, 0};
    if (ended || left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      return false;
    char buf[4096];
    ssize_t n = ::read(child.stdoutPipe.get(), buf, sizeof buf);
    if (n <= 0) ended = true;
    if (n > 0) seen.append(buf, static_cast<size_t>(n));
  }
  return true;
}

bool readUntil(process::Child& child, std::string& seen, const std::string& needle) {
  return readStream(
      child, seen, [&](const std::string& s, bool) { return s.find(needle) != std::string::npos; });
}

TEST_F(CliTest, CreateListRuntimeAndJson) {
  auto created = ctl({"create", "alice/demo", "--sdk", "static", "--hardware", "cpu-upgrade"});
  ASSERT_EQ(created.status, 0) << created.output;
  EXPECT_EQ(created.output, "created alice/demo (NO_APP_FILE)\n");
  auto list = ctl({"list"});
  ASSERT_EQ(list.status, 0);
  EXPECT_EQ(list.output.substr(0, list.output.find('\n')),
            "ID          STAGE        HARDWARE     SDK     UPDATED");
  EXPECT_NE(list.output.find("alice/demo  NO_APP_FILE  cpu-upgrade  static"), std::string::npos)
      << list.output;
  EXPECT_EQ(ctl({"list", "-q"}).output, "alice/demo\n");
  auto runtime = ctl({"runtime", "alice/demo"});
  EXPECT_NE(runtime.output.find("stage:          NO_APP_FILE"), std::string::npos)
      << runtime.output;
  EXPECT_NE(runtime.output.find("hardware:       - (requested cpu-upgrade)"), std::string::npos);
  auto json = ctl({"--json", "runtime", "alice/demo"});
  ASSERT_EQ(json.status, 0);
  EXPECT_EQ(nlohmann::json::parse(json.output)["stage"], "NO_APP_FILE");
  auto info = ctl({"info"});
  EXPECT_NE(info.output.find("cpu-basic (default)"), std::string::npos) << info.output;
  EXPECT_EQ(ctl({"info", "--json"}).output.substr(0, 1), "{");
}

TEST_F(CliTest, ActionsSecretsVariables) {
  ASSERT_EQ(ctl({"create", "alice/demo"}).status, 0);
  EXPECT_EQ(ctl({"pause", "alice/demo"}).output, "alice/demo: PAUSED\n");
  EXPECT_EQ(ctl({"resume", "alice/demo"}).output, "alice/demo: NO_APP_FILE\n");
  EXPECT_EQ(ctl({"restart", "alice/demo", "--factory"}).status, 0);
  EXPECT_EQ(ctl({"hardware", "alice/demo", "t4-small"}).status, 0);
  EXPECT_EQ(ctl({"sleep-time", "alice/demo", "-1"}).status, 0);
  EXPECT_EQ(ctl({"sleep-time", "alice/demo", "soon"}).status, 2);
  EXPECT_EQ(ctl({"notify", "alice/demo", "--ref", "refs/heads/main"}).status, 0);
  auto set = ctl({"secret", "set", "alice/demo", "TOKEN", "--description", "hub"}, "hunter2\n");
  ASSERT_EQ(set.status, 0) << set.output;
  auto ls = ctl({"secret", "ls", "alice/demo"});
  EXPECT_NE(ls.output.find("TOKEN"), std::string::npos);
  EXPECT_NE(ls.output.find("hub"), std::string::npos);
  EXPECT_EQ(ls.output.find("hunter2"), std::string::npos);
  EXPECT_EQ(ctl({"secret", "set", "alice/demo", "TOKEN", "hunter2"}).status, 2);  // never from argv
  ASSERT_EQ(ctl({"var", "set", "alice/demo", "MODEL", "gpt2"}).status, 0);
  EXPECT_NE(ctl({"var", "ls", "alice/demo"}).output.find("MODEL  gpt2"), std::string::npos);
  EXPECT_EQ(ctl({"var", "rm", "alice/demo", "MODEL"}).status, 0);
  EXPECT_EQ(ctl({"secret", "rm", "alice/demo", "TOKEN"}).status, 0);
  auto runtime = nlohmann::json::parse(ctl({"runtime", "alice/demo", "--json"}).output);
  EXPECT_EQ(runtime["hardware"]["requested"], "t4-small");
  EXPECT_EQ(runtime["sleep_time"], -1);
  // Deleted at once when nothing runs; otherwise accepted while the supervisor stops the app.
  auto deleted = ctl({"delete", "alice/demo"});
  EXPECT_EQ(deleted.status, 0) << deleted.output;
  EXPECT_TRUE(deleted.output == "deleted alice/demo\n" ||
              deleted.output == "deleting alice/demo (DELETING)\n")
      << deleted.output;
}

TEST_F(CliTest, ExitCodes) {
  ASSERT_EQ(ctl({"create", "alice/demo"}).status, 0);
  auto missing = ctl({"runtime", "bob/none"});
  EXPECT_EQ(missing.status, 3);
  EXPECT_NE(missing.output.find("spacectl: Space 'bob/none' does not exist"), std::string::npos);
  EXPECT_EQ(ctl({"create", "alice/demo"}).status, 6);
  EXPECT_EQ(ctl({"resume", "alice/demo"}).status, 6);
  EXPECT_EQ(ctl({"create", "no-slash"}).status, 1);
  EXPECT_EQ(ctl({"frobnicate"}).status, 2);
  EXPECT_EQ(ctl({"create"}).status, 2);
  EXPECT_EQ(ctl({"create", "a/b", "--colour", "x"}).status, 2);
  auto unreachable = runCommand({spacectlPath(), "--socket", agent_.dir() + "/none.sock", "info"});
  EXPECT_EQ(unreachable.status, 5);
  EXPECT_NE(unreachable.output.find("cannot reach spaceletd"), std::string::npos);
  auto env = runCommand(
      {"/usr/bin/env", "SPACELET_SOCKET=" + agent_.socket(), spacectlPath(), "list", "-q"});
  EXPECT_EQ(env.output, "alice/demo\n");
}

TEST_F(CliTest, HelpForEveryCommand) {
  auto help = ctl({"--help"});
  ASSERT_EQ(help.status, 0);
  EXPECT_NE(help.output.find("Exit status:"), std::string::npos);
  for (std::vector<std::string> cmd : {std::vector<std::string>{"info"},
                                       {"create"},
                                       {"list"},
                                       {"runtime"},
                                       {"delete"},
                                       {"restart"},
                                       {"pause"},
                                       {"resume"},
                                       {"hardware"},
                                       {"sleep-time"},
                                       {"notify"},
                                       {"secret", "set"},
                                       {"secret", "ls"},
                                       {"secret", "rm"},
                                       {"var", "set"},
                                       {"var", "ls"},
                                       {"var", "rm"},
                                       {"logs"},
                                       {"events"},
                                       {"wait"}}) {
    std::string name = cmd[0] + (cmd.size() > 1 ? " " + cmd[1] : "");
    cmd.push_back("--help");
    auto r = ctl(cmd);
    EXPECT_EQ(r.status, 0) << name;
    EXPECT_NE(r.output.find("Usage: spacectl " + name), std::string::npos) << r.output;
    EXPECT_EQ(ctl({"help", cmd[0]}).status, 0);
  }
}

TEST_F(CliTest, BashCompletionAsksTheAgent) {
  ASSERT_EQ(ctl({"create", "alice/demo"}).status, 0);
  std::string script =
      "source " + spacelet::testing::sourceDir() + "/packaging/bash-completion/spacectl; " +
      "COMP_WORDS=(spacectl --socket " + agent_.socket() +
      " runtime al); COMP_CWORD=4; _spacectl; " +
      "echo \"[${COMPREPLY[*]}]\"; COMP_WORDS=(spacectl --socket " + agent_.socket() +
      " hardware alice/demo t4-s); COMP_CWORD=5; _spacectl; echo \"[${COMPREPLY[*]}]\"";
  auto r =
      runCommand({"/usr/bin/env", "PATH=" + spacelet::testing::binaryDir() + "/agent:/usr/bin:/bin",
                  "bash", "-c", script});
  EXPECT_EQ(r.output, "[alice/demo]\n[t4-small]\n") << r.output;
}

TEST_F(CliTest, LogsAndEvents) {
  ASSERT_EQ(ctl({"create", "alice/demo"}).status, 0);
  std::string run = store::logPath(agent_.stateDir(), {"alice", "demo"}, store::LogKind::kRun);
  std::string build = store::logPath(agent_.stateDir(), {"alice", "demo"}, store::LogKind::kBuild);
  for (const char* l : {"one", "two", "three"}) ASSERT_TRUE(store::appendLogLine(run, 0, l));
  ASSERT_TRUE(store::appendLogLine(build, 0, "Step 1/1 : FROM scratch"));
  EXPECT_EQ(ctl({"logs", "alice/demo"}).output, "one\ntwo\nthree\n");
  EXPECT_EQ(ctl({"logs", "alice/demo", "--tail", "1"}).output, "three\n");
  EXPECT_EQ(ctl({"logs", "alice/demo", "--build"}).output, "Step 1/1 : FROM scratch\n");
  EXPECT_EQ(
      nlohmann::json::parse(ctl({"logs", "alice/demo", "--tail", "1", "--json"}).output)["data"],
      "three");
  auto events = ctl({"events", "--space", "alice/demo"});
  EXPECT_NE(events.output.find("space.created  alice/demo  sdk "), std::string::npos)
      << events.output;
  // A created Space is summed up, not dumped whole.
  EXPECT_NE(events.output.find(", stage NO_APP_FILE\n"), std::string::npos) << events.output;
  EXPECT_EQ(events.output.find("created_at"), std::string::npos) << events.output;
}

TEST_F(CliTest, LogsAndEventsFollow) {
  ASSERT_EQ(ctl({"create", "alice/demo"}).status, 0);
  std::string run = store::logPath(agent_.stateDir(), {"alice", "demo"}, store::LogKind::kRun);
  ASSERT_TRUE(store::appendLogLine(run, 0, "before"));
  auto logs = ctlStreaming({"logs", "alice/demo", "-f"});
  // --since 0: the stream starts at the Space's first event, so the pause below cannot fall
  // before the command has subscribed (a slow start missed it under load in the VM harness).
  auto events = ctlStreaming({"events", "-f", "--since", "0", "--space", "alice/demo"});
  ASSERT_GT(logs.pid(), 0);
  ASSERT_GT(events.pid(), 0);
  std::string logOut, eventOut;
  EXPECT_TRUE(readUntil(logs, logOut, "before\n")) << logOut;
  // Lines and events written after the commands started arrive while they run.
  ASSERT_TRUE(store::appendLogLine(run, 0, "after"));
  EXPECT_TRUE(readUntil(logs, logOut, "before\nafter\n")) << logOut;
  ASSERT_EQ(agent_.call("POST", "/v1/spaces/alice/demo/pause").status, 200);
  EXPECT_TRUE(readUntil(events, eventOut, "\"PAUSED\"")) << eventOut;
  for (process::Child* c : {&logs, &events}) {
    ASSERT_TRUE(c->signal(SIGTERM));
    ASSERT_TRUE(c->wait());
  }
}

TEST_F(CliTest, WaitForAStage) {
  ASSERT_EQ(ctl({"create", "alice/demo"}).status, 0);
  EXPECT_EQ(ctl({"wait", "alice/demo", "--stage", "NO_APP_FILE"}).status, 0);  // already there
  std::thread later([this] {
    std::this_thread::sleep_for(500ms);
    agent_.call("POST", "/v1/spaces/alice/demo/pause");
  });
  auto start = std::chrono::steady_clock::now();
  auto waited = ctl({"wait", "alice/demo", "--stage", "PAUSED", "--timeout", "20"});
  later.join();
  EXPECT_EQ(waited.status, 0) << waited.output;
  EXPECT_EQ(waited.output, "alice/demo: PAUSED\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  auto timeout = ctl({"wait", "alice/demo", "--stage", "RUNNING", "--timeout", "1"});
  EXPECT_EQ(timeout.status, 7) << timeout.output;
  EXPECT_EQ(ctl({"wait", "alice/demo", "--stage", "SOMEWHERE"}).status, 2);
  std::thread remover([this] {
    std::this_thread::sleep_for(300ms);
    agent_.call("DELETE", "/v1/spaces/alice/demo");
  });
  auto deleted = ctl({"wait", "alice/demo", "--timeout", "20"});
  remover.join();
  EXPECT_EQ(deleted.status, 8) << deleted.output;
  EXPECT_NE(deleted.output.find("was deleted"), std::string::npos);
}

}  // namespace
}  // namespace spacelet::agent::testing

// Tests of the agent's one process-spawning utility: output capture, stdin feeding without
// deadlock, explicit environment and fd passing, every other fd closed, clean signal state,
// process groups, timeouts and the errors for programs that cannot start.
#include "agent/process/spawn.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace spacelet::agent::process {
namespace {

SpawnOptions shell(const std::string& script) {
  SpawnOptions o;
  o.argv = {"/bin/sh", "-c", script};
  return o;
}

TEST(Spawn, RunCapturesStdoutAndExitCode) {
  auto r = run(shell("echo hello; echo oops >&2; exit 3"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->output, "hello\n");
  EXPECT_EQ(r->errors, "oops\n");
  EXPECT_FALSE(r->status.success());
  EXPECT_EQ(r->status.shellStatus(), 3);
  EXPECT_EQ(r->status.describe(), "exit code 3");
}

TEST(Spawn, MergedStderrGoesToOutput) {
  auto o = shell("echo a; echo b >&2");
  o.mergeStderr = true;
  auto r = run(o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->output, "a\nb\n");
  EXPECT_EQ(r->errors, "");
}

TEST(Spawn, LargeInputAndOutputDoNotDeadlock) {
  std::string input(4 * 1024 * 1024, 'x');  // far larger than a pipe buffer in both directions
  SpawnOptions o;
  o.argv = {"/bin/cat"};
  RunOptions ro;
  ro.input = input;
  auto r = run(o, ro);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->status.success());
  EXPECT_EQ(r->output.size(), input.size());
}

TEST(Spawn, EnvironmentIsExplicit) {
  ::setenv("SPACELET_SPAWN_TEST_SECRET", "leak", 1);
  SpawnOptions o;
  o.argv = {"/usr/bin/env"};
  o.env = {"ONLY=this"};
  auto r = run(o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->output, "ONLY=this\n");

  o.inheritEnv = true;
  o.env = {"SPACELET_SPAWN_TEST_SECRET=override"};
  r = run(o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE(r->output.find("SPACELET_SPAWN_TEST_SECRET=override\n"), std::string::npos);
  EXPECT_EQ(r->output.find("=leak"), std::string::npos);
}

TEST(Spawn, PassesMappedFdsAndClosesEverythingElse) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  UniqueFd readEnd(p[0]), writeEnd(p[1]);
  // An fd a careless library opened without O_CLOEXEC must not reach the child either.
  int leaked = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaked, 0);
  UniqueFd leakedOwner(leaked);
  auto o = shell("echo through-fd-7 >&7; test -e /proc/self/fd/" + std::to_string(leaked) +
                 " && echo leaked || echo closed");
  o.fds = {{writeEnd.view(), 7}};
  auto r = run(o);
  ASSERT_TRUE(r) << r.error().message;
  writeEnd.reset();
  char buf[64] = {};
  ASSERT_GT(::read(readEnd.get(), buf, sizeof buf - 1), 0);
  EXPECT_STREQ(buf, "through-fd-7\n");
  EXPECT_EQ(r->output, "closed\n");
}

TEST(Spawn, MappingOntoAnotherSourcesNumberIsSafe) {
  // Source of one mapping is the target of the other: naive dup2 order would lose it.
  int a[2], b[2];
  ASSERT_EQ(::pipe2(a, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(b, O_CLOEXEC), 0);
  UniqueFd ar(a[0]), aw(a[1]), br(b[0]), bw(b[1]);
  auto o = shell("echo A >&" + std::to_string(bw.get()) + "; echo B >&9");
  o.fds = {{aw.view(), bw.get()}, {bw.view(), 9}};
  auto r = run(o);
  ASSERT_TRUE(r) << r.error().message;
  aw.reset();
  bw.reset();
  char buf[8] = {};
  ASSERT_EQ(::read(ar.get(), buf, sizeof buf), 2);
  EXPECT_STREQ(buf, "A\n");
  char buf2[8] = {};
  ASSERT_EQ(::read(br.get(), buf2, sizeof buf2), 2);
  EXPECT_STREQ(buf2, "B\n");
}

std::string statusField(pid_t pid, const std::string& name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + ":", 0) == 0) {
      std::string v = line.substr(name.size() + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return "";
}

TEST(Spawn, ChildStartsWithCleanSignalStateAndOwnGroup) {
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &block, &old), 0);
  auto oldPipe = ::signal(SIGPIPE, SIG_IGN);
  SpawnOptions o;
  o.argv = {"/bin/sleep", "30"};
  o.newProcessGroup = true;
  auto child = spawn(o);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ::signal(SIGPIPE, oldPipe);
  ASSERT_TRUE(child) << child.error().message;
  // Wait until the child has exec'd (its comm becomes "sleep").
  for (int i = 0; i < 200 && statusField(child->pid(), "Name") != "sleep"; ++i) ::usleep(5000);
  EXPECT_EQ(statusField(child->pid(), "SigBlk"), "0000000000000000");
  // glibc's posix_spawn leaves its two internal signals (32, 33) ignored; everything else is
  // back to default, SIGPIPE included.
  uint64_t ignored = std::stoull(statusField(child->pid(), "SigIgn"), nullptr, 16);
  EXPECT_EQ(ignored & ~((1ull << 31) | (1ull << 32)), 0u);
  EXPECT_EQ(::getpgid(child->pid()), child->pid());
  ASSERT_TRUE(child->signal(SIGTERM, /*group=*/true));
  auto status = child->wait();
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_TRUE(status->signaled);
  EXPECT_EQ(status->value, SIGTERM);
  EXPECT_EQ(status->describe(), "killed by signal 15 (SIGTERM)");
}

TEST(Spawn, PidfdBecomesReadableAndTryReapReportsExit) {
  auto child = spawn(shell("exit 7"));
  ASSERT_TRUE(child) << child.error().message;
  struct pollfd pfd = {child->pidfd().get(), POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 5000), 1);
  auto reaped = child->tryReap();
  ASSERT_TRUE(reaped) << reaped.error().message;
  ASSERT_TRUE(reaped->has_value());
  EXPECT_EQ((*reaped)->value, 7);
  EXPECT_TRUE(child->reaped());
}

TEST(Spawn, TryReapOfRunningChildIsEmpty) {
  SpawnOptions o;
  o.argv = {"/bin/sleep", "30"};
  auto child = spawn(o);
  ASSERT_TRUE(child) << child.error().message;
  auto reaped = child->tryReap();
  ASSERT_TRUE(reaped) << reaped.error().message;
  EXPECT_FALSE(reaped->has_value());
  ASSERT_TRUE(child->signal(SIGKILL));
  ASSERT_TRUE(child->wait());
}

TEST(Spawn, TimeoutKillsTheChild) {
  SpawnOptions o;
  o.argv = {"/bin/sleep", "30"};
  RunOptions ro;
  ro.timeout = std::chrono::milliseconds(100);
  auto start = std::chrono::steady_clock::now();
  auto r = run(o, ro);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->timedOut);
  EXPECT_TRUE(r->status.signaled);
  EXPECT_EQ(r->status.value, SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Spawn, WorkingDirectory) {
  auto o = shell("pwd");
  o.cwd = "/usr";
  auto r = run(o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->output, "/usr\n");
}

TEST(Spawn, MissingProgramIsAClearError) {
  SpawnOptions o;
  o.argv = {"/nonexistent/spacelet-no-such-program"};
  auto r = spawn(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENOENT);
  EXPECT_NE(r.error().message.find("'/nonexistent/spacelet-no-such-program'"), std::string::npos);

  o.argv = {"spacelet-no-such-program-in-path"};
  r = spawn(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENOENT);

  o.argv = {};
  EXPECT_FALSE(spawn(o));
}

TEST(Spawn, SearchesPathForBareNames) {
  SpawnOptions o;
  o.argv = {"true"};
  auto r = run(o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->status.success());
}

TEST(Spawn, OutputCapIsEnforced) {
  RunOptions ro;
  ro.maxOutputBytes = 1000;
  auto r = run(shell("head -c 100000 /dev/zero"), ro);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->output.size(), 1000u);
  EXPECT_TRUE(r->status.success());
}

}  // namespace
}  // namespace spacelet::agent::process

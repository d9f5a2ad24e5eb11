// config.json `process`, asserted from inside the container with the probe: args, env,
// cwd, user, groups, umask, rlimits, the five capability sets, no_new_privs, oomScoreAdj,
// terminal and consoleSize; and `exec` with its options.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <thread>

#include "runtime_fixture.h"
#include "sandbox/linux/console.h"

namespace spacelet::sandbox::testing {
namespace {

using ProcessTest = RuntimeTest;

constexpr uint64_t bit(int cap) {
  return uint64_t{1} << cap;
}
constexpr int kChown = 0, kKill = 5, kNetBindService = 10;

TEST_F(ProcessTest, ArgsEnvCwd) {
  config_["process"]["env"] = {"PATH=/bin", "GREETING=hello world", "EMPTY="};
  config_["process"]["cwd"] = "/work/dir";
  Json r = probe({"report"});
  EXPECT_EQ(r["env"]["GREETING"], "hello world");
  EXPECT_EQ(r["env"]["EMPTY"], "");
  EXPECT_EQ(r["env"].size(), 3u) << r["env"];
  EXPECT_EQ(r["cwd"], "/work/dir") << "a missing cwd is created";
  // args[0] without a slash is found through the container's PATH.
  auto ran = runContainer({"spacelet-probe", "exit", "4"});
  EXPECT_EQ(ran.status, 4) << ran.output;
}

TEST_F(ProcessTest, UserGroupsUmask) {
  config_["process"]["user"] = {
      {"uid", 1000}, {"gid", 1000}, {"umask", 023}, {"additionalGids", {10, 20}}};
  Json r = probe({"report"});
  EXPECT_EQ(r["uid"], 1000);
  EXPECT_EQ(r["euid"], 1000);
  EXPECT_EQ(r["gid"], 1000);
  EXPECT_EQ(r["groups"], Json({10, 20}));
  EXPECT_EQ(r["umask"], 023);
}

TEST_F(ProcessTest, Rlimits) {
  config_["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 123}, {"hard", 456}},
                                   {{"type", "RLIMIT_CORE"}, {"soft", 0}, {"hard", 0}}};
  Json r = probe({"report"});
  EXPECT_EQ(r["rlimits"]["RLIMIT_NOFILE"]["soft"], 123);
  EXPECT_EQ(r["rlimits"]["RLIMIT_NOFILE"]["hard"], 456);
  EXPECT_EQ(r["rlimits"]["RLIMIT_CORE"]["hard"], 0);
}

TEST_F(ProcessTest, FiveCapabilitySetsForANonRootUser) {
  config_["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  config_["process"]["capabilities"] = {
      {"bounding", {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"}},
      {"effective", {"CAP_KILL"}},
      {"permitted", {"CAP_KILL", "CAP_NET_BIND_SERVICE"}},
      {"inheritable", {"CAP_NET_BIND_SERVICE"}},
      {"ambient", {"CAP_NET_BIND_SERVICE"}}};
  Json r = probe({"report"});
  EXPECT_EQ(capMask(r, "CapBnd"), bit(kChown) | bit(kKill) | bit(kNetBindService));
  // execve(2) of a file without capabilities: permitted and effective become the ambient set.
  EXPECT_EQ(capMask(r, "CapAmb"), bit(kNetBindService));
  EXPECT_EQ(capMask(r, "CapInh"), bit(kNetBindService));
  EXPECT_EQ(capMask(r, "CapPrm"), bit(kNetBindService));
  EXPECT_EQ(capMask(r, "CapEff"), bit(kNetBindService));
}

TEST_F(ProcessTest, RootGetsItsBoundingSetAndNoMore) {
  config_["process"]["capabilities"] = {
      {"bounding", {"CAP_KILL"}}, {"effective", {"CAP_KILL"}}, {"permitted", {"CAP_KILL"}}};
  Json r = probe({"report"});
  EXPECT_EQ(capMask(r, "CapBnd"), bit(kKill));
  EXPECT_EQ(capMask(r, "CapEff"), bit(kKill));
  Json chown = probe({"syscall", "chown", "/tmp"});
  EXPECT_EQ(chown["ok"], true) << "own file: no capability needed";
  config_["process"].erase("capabilities");
  EXPECT_EQ(capMask(probe({"report"}), "CapEff"), 0u) << "no capabilities object: none";
}

bool haveCapability(int cap) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("CapEff:", 0) == 0) return (std::stoull(line.substr(7), nullptr, 16) >> cap) & 1;
  }
  return false;
}

TEST_F(ProcessTest, NoNewPrivilegesAndOomScoreAdj) {
  config_["process"]["noNewPrivileges"] = true;
  config_["process"]["oomScoreAdj"] = 250;
  Json r = probe({"report"});
  EXPECT_EQ(r["no_new_privs"], 1);
  EXPECT_EQ(r["oom_score_adj"], 250);
  config_["process"]["noNewPrivileges"] = false;
  config_["process"]["oomScoreAdj"] = 700;
  r = probe({"report"});
  EXPECT_EQ(r["no_new_privs"], 0);
  EXPECT_EQ(r["oom_score_adj"], 700);
}

TEST_F(ProcessTest, NegativeOomScoreAdjNeedsCapSysResource) {
  config_["process"]["oomScoreAdj"] = -250;
  if (haveCapability(24 /* CAP_SYS_RESOURCE */)) {
    EXPECT_EQ(probe({"report"})["oom_score_adj"], -250);
    return;
  }
  // Without CAP_SYS_RESOURCE (this host's root lacks it) the kernel refuses, and says so.
  auto r = runContainer({"/bin/spacelet-probe", "report"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("set process.oomScoreAdj: write '-250'"), std::string::npos) << r.output;
}

// A console socket server: accepts one connection and receives the terminal's master.
class ConsoleSocket {
 public:
  explicit ConsoleSocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 1), 0);
  }
  ~ConsoleSocket() { ::close(fd_); }
  UniqueFd receiveMaster() {
    UniqueFd conn(::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC));
    auto master = linux::receiveFd(conn.get());
    EXPECT_TRUE(master) << master.error().message;
    return master ? std::move(*master) : UniqueFd();
  }

 private:
  std::string path_;
  int fd_ = -1;
};

std::string readAllFrom(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

TEST_F(ProcessTest, TerminalThroughTheConsoleSocket) {
  config_["process"]["terminal"] = true;
  config_["process"]["consoleSize"] = {{"height", 40}, {"width", 120}};
  config_["process"]["args"] = {"/bin/sh", "-c", "stty size; /bin/spacelet-probe report"};
  writeConfig();
  ConsoleSocket console(state_ / "console.sock");
  std::string id = newId();
  t::CommandResult created;
  std::thread creator([&] {
    created = detached(
        {"create", "--bundle", bundle_.path(), "--console-socket", state_ / "console.sock", id});
  });
  UniqueFd master = console.receiveMaster();
  creator.join();
  ASSERT_EQ(created.status, 0) << created.output;
  ASSERT_EQ(runtime({"start", id}).status, 0);
  std::string output = readAllFrom(master.get());  // EIO once the container exits
  EXPECT_NE(output.find("40 120"), std::string::npos) << output;
  Json r = lastJsonLine(output.substr(output.find('{')));
  EXPECT_EQ(r["tty"], true);
  EXPECT_NE(findMount(r, "/dev/console"), nullptr) << "the terminal is bound on /dev/console";
}

TEST_F(ProcessTest, TerminalWithoutSocketNeedsTheForeground) {
  config_["process"]["terminal"] = true;
  writeConfig();
  auto r = runtime({"create", "--bundle", bundle_.path(), newId()});
  EXPECT_NE(r.output.find("no --console-socket was given"), std::string::npos) << r.output;
  // In the foreground, run relays the terminal itself.
  auto ran = runContainer({"/bin/spacelet-probe", "report"});
  EXPECT_EQ(ran.status, 0) << ran.output;
  EXPECT_EQ(lastJsonLine(ran.output.substr(ran.output.find('{')))["tty"], true) << ran.output;
}

TEST_F(ProcessTest, ExecWithOverrides) {
  config_["process"]["env"] = {"PATH=/bin", "BASE=1"};
  std::string id = startSleeper();
  auto r = runtime({"exec", "--env", "EXTRA=2", "--cwd", "/tmp", "--user", "1000:1000",
                    "--additional-gids", "5", id, "/bin/spacelet-probe", "report"});
  ASSERT_EQ(r.status, 0) << r.output;
  Json report = lastJsonLine(r.output);
  EXPECT_EQ(report["env"]["BASE"], "1");
  EXPECT_EQ(report["env"]["EXTRA"], "2");
  EXPECT_EQ(report["cwd"], "/tmp");
  EXPECT_EQ(report["uid"], 1000);
  EXPECT_EQ(report["groups"], Json({5}));
  Json init = lastJsonLine(runtime({"exec", id, "/bin/spacelet-probe", "report"}).output);
  EXPECT_EQ(report["namespaces"], init["namespaces"]) << "exec joins every namespace";
  EXPECT_EQ(runtime({"exec", id, "/bin/spacelet-probe", "exit", "9"}).status, 9);
  auto missing = runtime({"exec", id, "/bin/nothing-here"});
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.output.find("'/bin/nothing-here'"), std::string::npos) << missing.output;
}

TEST_F(ProcessTest, ExecProcessFileDetachTty) {
  std::string id = startSleeper();
  Json process = {{"args", {"/bin/spacelet-probe", "report"}},
                  {"cwd", "/"},
                  {"env", {"FROM=file"}},
                  {"user", {{"uid", 0}, {"gid", 0}}}};
  std::ofstream(state_ / "process.json") << process.dump();
  auto r = runtime({"exec", "--process", state_ / "process.json", id});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(lastJsonLine(r.output)["env"]["FROM"], "file");
  auto tty = runtime({"exec", "-t", id, "/bin/spacelet-probe", "report"});
  ASSERT_EQ(tty.status, 0) << tty.output;
  EXPECT_EQ(lastJsonLine(tty.output.substr(tty.output.find('{')))["tty"], true);
  std::string pidFile = state_ / "exec.pid";
  auto d = detached({"exec", "-d", "--pid-file", pidFile, id, "/bin/sleep", "1000"});
  ASSERT_EQ(d.status, 0) << d.output;
  std::ifstream in(pidFile);
  pid_t pid = 0;
  in >> pid;
  ASSERT_GT(pid, 0);
  Json pids = Json::parse(runtime({"ps", "--format", "json", id}).output);
  EXPECT_NE(std::find(pids.begin(), pids.end(), Json(pid)), pids.end()) << pids;
}

}  // namespace
}  // namespace spacelet::sandbox::testing

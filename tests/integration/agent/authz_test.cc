// Authorization by SO_PEERCRED against the real agent: a child that drops to an unprivileged
// uid gets 403 (the socket is opened to everyone here so the agent itself must refuse), a
// member of the configured group is let in, and with the default 0660 socket a stranger
// cannot even connect. Needs root (to change uid and create a throwaway group).
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_fixture.h"

namespace spacelet::agent::testing {
namespace {

constexpr uid_t kStranger = 65534;  // nobody

// A group made for the test and removed after it, even when the test fails.
class ThrowawayGroup {
 public:
  ThrowawayGroup() : name_("spltst" + std::to_string(::getpid())) {
    auto r = spacelet::testing::runCommand({"groupadd", "--system", name_});
    if (r.status != 0) return;
    struct group* g = ::getgrnam(name_.c_str());
    if (g) gid_ = g->gr_gid;
  }
  ~ThrowawayGroup() {
    if (gid_) spacelet::testing::runCommand({"groupdel", name_});
  }
  const std::string& name() const { return name_; }
  std::optional<gid_t> gid() const { return gid_; }

 private:
  std::string name_;
  std::optional<gid_t> gid_;
};

struct ChildResult {
  int status = -1;  // HTTP status, or -errno of connect
  std::string body;
};

// Forks a child that becomes uid/gid with the given supplementary groups, asks GET /v1/info
// and reports the status through a pipe.
ChildResult askAs(const std::string& socket, uid_t uid, gid_t gid, std::vector<gid_t> groups) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(p[0]);
    if (::setgroups(groups.size(), groups.data()) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)
      _exit(10);
    HttpReply r = httpRequest(socket, "GET", "/v1/info");
    std::string out = std::to_string(r.status) + "\n" + r.body;
    (void)!::write(p[1], out.data(), out.size());
    _exit(0);
  }
  ::close(p[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(p[0]);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  ChildResult result;
  size_t nl = out.find('\n');
  if (nl == std::string::npos) return result;
  result.status = std::atoi(out.substr(0, nl).c_str());
  result.body = out.substr(nl + 1);
  return result;
}

TEST(Authorization, StrangersGet403MembersAndRootGetIn) {
  if (auto why = spacelet::testing::requireRoot(); !why.empty()) GTEST_SKIP() << why;
  ThrowawayGroup group;
  ASSERT_TRUE(group.gid()) << "groupadd " << group.name() << " failed";
  AgentInstance agent;
  // Point the agent at the throwaway group; mode 0666 lets anyone connect, so the agent
  // itself must tell members from strangers.
  {
    std::string config = "paths:\n  state_dir: " + agent.stateDir() +
                         "\n  run_dir: " + agent.dir() + "/run\n  socket: " + agent.socket() +
                         "\n  socket_group: " + group.name() +
                         "\n  socket_mode: \"0666\"\n  node_key: " + agent.dir() + "/node.key\n";
    FILE* f = std::fopen(agent.configPath().c_str(), "w");
    std::fputs(config.c_str(), f);
    std::fclose(f);
  }
  ::chmod(agent.dir().c_str(), 0755);  // the temp dir must be traversable by the stranger
  ASSERT_EQ(agent.start(), "");

  auto stranger = askAs(agent.socket(), kStranger, kStranger, {});
  EXPECT_EQ(stranger.status, 403) << stranger.body;
  EXPECT_NE(stranger.body.find("uid 65534 may not use the spacelet API"), std::string::npos)
      << stranger.body;
  EXPECT_NE(stranger.body.find("usermod -aG " + group.name()), std::string::npos);

  auto member = askAs(agent.socket(), kStranger, kStranger, {*group.gid()});
  EXPECT_EQ(member.status, 200) << member.body;
  auto primary = askAs(agent.socket(), kStranger, *group.gid(), {});
  EXPECT_EQ(primary.status, 200) << primary.body;
  EXPECT_EQ(agent.call("GET", "/v1/info").status, 200);  // root
  EXPECT_NE(agent.log().find("refused GET /v1/info from uid 65534"), std::string::npos);
}

TEST(Authorization, DefaultSocketModeKeepsStrangersOut) {
  if (auto why = spacelet::testing::requireRoot(); !why.empty()) GTEST_SKIP() << why;
  AgentInstance agent;
  ::chmod(agent.dir().c_str(), 0755);
  ASSERT_EQ(agent.start(), "");
  auto stranger = askAs(agent.socket(), kStranger, kStranger, {});
  EXPECT_EQ(stranger.status, 0);  // connect() fails: the 0660 socket belongs to root's group
  auto member = askAs(agent.socket(), kStranger, kStranger, {::getegid()});
  EXPECT_EQ(member.status, 200) << member.body;
}

}  // namespace
}  // namespace spacelet::agent::testing

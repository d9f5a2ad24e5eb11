// runc's command line: flag syntax, each command's parsing, signal names.
#include <gtest/gtest.h>
#include <signal.h>

#include "sandbox/cli/args.h"
#include "sandbox/cli/commands.h"
#include "sandbox/cli/signals.h"

namespace spacelet::sandbox::cli {
namespace {

TEST(Args, FlagSyntaxes) {
  constexpr FlagSpec kSpecs[] = {
      {"bundle", "b", true, ""}, {"detach", "d", false, ""}, {"env", "e", true, ""}};
  Args args = {"--bundle=/a", "-d", "id", "-e", "A=1", "--env", "B=2", "--detach=false"};
  auto parsed = parseFlags(args, kSpecs, true);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->value("bundle"), "/a");
  EXPECT_FALSE(parsed->flag("detach")) << "the last occurrence wins";
  EXPECT_EQ(parsed->all("env"), (std::vector<std::string>{"A=1", "B=2"}));
  EXPECT_EQ(parsed->positional, std::vector<std::string>{"id"});
  auto stop = parseFlags(Args{"id", "-d", "--", "x"}, kSpecs, false);
  EXPECT_EQ(stop->positional, (std::vector<std::string>{"id", "-d", "--", "x"}))
      << "not interspersed: everything after the first argument is positional";
  auto unknown = parseFlags(Args{"--nope"}, kSpecs, true);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "unknown flag '--nope' (see --help)");
  auto missing = parseFlags(Args{"--bundle"}, kSpecs, true);
  EXPECT_EQ(missing.error().message, "flag '--bundle' needs a value");
}

TEST(Commands, Create) {
  auto o = parseCreate({"--bundle", "/b", "--pid-file", "p", "--console-socket", "/s",
                        "--preserve-fds", "2", "--no-pivot", "--no-new-keyring", "ctr"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->id, "ctr");
  EXPECT_EQ(o->bundle, "/b");
  EXPECT_EQ(o->pidFile, "p");
  EXPECT_EQ(o->consoleSocket, "/s");
  EXPECT_EQ(o->preserveFds, 2);
  EXPECT_TRUE(o->noPivot);
  EXPECT_TRUE(o->noNewKeyring);
  EXPECT_EQ(parseCreate({"ctr"})->bundle, ".");
  EXPECT_FALSE(parseCreate({}));
  EXPECT_FALSE(parseCreate({"a", "b"}));
  EXPECT_FALSE(parseCreate({"--preserve-fds", "-1", "ctr"}));
}

TEST(Commands, Run) {
  auto o = parseRun({"-d", "-b", "/b", "ctr"});
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->detach);
  EXPECT_EQ(o->create.bundle, "/b");
  EXPECT_TRUE(parseRun({"--keep", "ctr"})->keep);
  EXPECT_FALSE(parseRun({"--keep", "-d", "ctr"}));
}

TEST(Commands, KillDelete) {
  auto k = parseKill({"ctr"});
  ASSERT_TRUE(k);
  EXPECT_EQ(k->signal, SIGTERM);
  k = parseKill({"--all", "ctr", "KILL"});
  EXPECT_TRUE(k->all);
  EXPECT_EQ(k->signal, SIGKILL);
  EXPECT_FALSE(parseKill({"ctr", "NOPE"}));
  EXPECT_TRUE(parseDelete({"-f", "ctr"})->force);
  EXPECT_FALSE(parseDelete({"ctr"})->force);
}

TEST(Commands, Exec) {
  auto o = parseExec({"-t",         "--env",     "A=1", "-e", "B=2",   "--cwd",      "/w",
                      "-u",         "1000:1000", "-g",  "5",  "--cap", "CAP_KILL",   "-d",
                      "--pid-file", "p",         "ctr", "sh", "-c",    "echo --help"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->id, "ctr");
  EXPECT_EQ(o->args, (std::vector<std::string>{"sh", "-c", "echo --help"}));
  EXPECT_TRUE(o->tty);
  EXPECT_EQ(o->env, (std::vector<std::string>{"A=1", "B=2"}));
  EXPECT_EQ(o->user, "1000:1000");
  EXPECT_EQ(o->additionalGids, std::vector<uint32_t>{5});
  EXPECT_EQ(o->caps, std::vector<std::string>{"CAP_KILL"});
  EXPECT_TRUE(o->detach);
  EXPECT_FALSE(parseExec({"--process", "p.json", "ctr", "sh"}));
  EXPECT_FALSE(parseExec({"-g", "x", "ctr", "sh"}));
  EXPECT_EQ(helpIfAsked({"ctr", "ls", "--help"}, "", true), -1) << "--help of the command";
}

TEST(Commands, ListPsUpdateSpec) {
  EXPECT_EQ(parseList({"-f", "json"})->format, "json");
  EXPECT_FALSE(parseList({"--format", "yaml"}));
  auto ps = parsePs({"ctr"});
  EXPECT_EQ(ps->psArgs, std::vector<std::string>{"-ef"});
  EXPECT_EQ(parsePs({"ctr", "aux"})->psArgs, std::vector<std::string>{"aux"});
  EXPECT_FALSE(parsePs({"-f", "json", "ctr", "aux"}));
  auto u = parseUpdate({"--memory", "1048576", "--cpu-quota", "-1", "--pids-limit", "10",
                        "--cpuset-cpus", "0-1", "ctr"});
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->resources["memory"]["limit"], 1048576);
  EXPECT_EQ(u->resources["cpu"]["quota"], -1);
  EXPECT_EQ(u->resources["cpu"]["cpus"], "0-1");
  EXPECT_EQ(u->resources["pids"]["limit"], 10);
  EXPECT_FALSE(parseUpdate({"ctr"})) << "nothing to update";
  auto badShares = parseUpdate({"--cpu-shares", "-5", "ctr"});
  ASSERT_FALSE(badShares);
  EXPECT_NE(badShares.error().message.find("--cpu-shares '-5'"), std::string::npos);
  EXPECT_TRUE(parseSpec({"--rootless", "-b", "/x"})->rootless);
}

TEST(Signals, NamesAndNumbers) {
  EXPECT_EQ(*parseSignal("KILL"), SIGKILL);
  EXPECT_EQ(*parseSignal("SIGTERM"), SIGTERM);
  EXPECT_EQ(*parseSignal("hup"), SIGHUP);
  EXPECT_EQ(*parseSignal("9"), 9);
  EXPECT_EQ(*parseSignal("SIGRTMIN+3"), SIGRTMIN + 3);
  EXPECT_EQ(*parseSignal("RTMAX-1"), SIGRTMAX - 1);
  EXPECT_FALSE(parseSignal("0"));
  EXPECT_FALSE(parseSignal("99"));
  auto bad = parseSignal("FOO");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("unknown signal 'FOO'"), std::string::npos);
}

TEST(Commands, Table) {
  for (const char* name : {"create", "start", "state", "kill", "delete", "run", "exec", "list",
                           "ps", "pause", "resume", "update", "features", "spec"}) {
    EXPECT_NE(findCommand(name), nullptr) << name;
  }
  EXPECT_EQ(findCommand("checkpoint"), nullptr);
}

}  // namespace
}  // namespace spacelet::sandbox::cli

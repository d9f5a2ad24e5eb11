// The monitor's pure parts and its log files: state file codec, /proc stat parsing, memory
// cgroup and OOM counters, command line, runtime error extraction, line splitting and the
// size-capped rotation (in a temp dir). The monitor itself runs real containers in
// tests/integration/agent_monitor.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/monitor/log_writer.h"
#include "agent/monitor/monitor_options.h"
#include "agent/monitor/monitor_state.h"
#include "agent/monitor/oom.h"
#include "agent/monitor/runtime_log.h"
#include "test_env.h"

namespace spacelet::agent::monitor {
namespace {

namespace fs = std::filesystem;

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(MonitorState, RoundTrips) {
  MonitorState s;
  s.phase = Phase::kExited;
  s.containerId = "alice--demo--3";
  s.monitorPid = 42;
  s.monitorStartTime = 123456;
  s.pid = 43;
  s.startedAtMs = 1000;
  s.exitedAtMs = 2000;
  s.signaled = true;
  s.exitValue = 9;
  s.oomKilled = true;
  s.error = "quote \" and newline \n";
  auto back = fromJson(toJson(s));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, s);
  EXPECT_FALSE(fromJson("{}"));
  EXPECT_FALSE(fromJson("not json"));
  auto wrongPhase = toJson(s);
  const std::string exited = "\"phase\":\"exited\"";
  wrongPhase.replace(wrongPhase.find(exited), exited.size(), "\"phase\":\"zombie\"");
  EXPECT_NE(fromJson(wrongPhase).error().message.find("'zombie'"), std::string::npos);
}

TEST(MonitorState, WritesAtomicallyAndReadsBack) {
  spacelet::testing::TempDir dir;
  MonitorState s;
  s.containerId = "c";
  ASSERT_TRUE(writeState(dir / "state.json", s));
  EXPECT_FALSE(fs::exists(dir / "state.json.tmp"));
  auto back = readState(dir / "state.json");
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, s);
  EXPECT_EQ(readState(dir / "missing.json").error().code, ENOENT);
}

TEST(ProcStat, ParsesStateAndStartTime) {
  // comm may hold spaces and ')'.
  std::string line =
      "4242 (my (odd) app) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 "
      "1000000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
  auto stat = parseProcStat(line);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->startTime, 987654u);
  EXPECT_FALSE(parseProcStat("garbage"));
  EXPECT_FALSE(parseProcStat("1 (x) S 1 2"));
}

TEST(ProcStat, ThisProcessIsAliveAndAFakeOneIsNot) {
  auto self = readProcStat(::getpid());
  ASSERT_TRUE(self);
  MonitorState s;
  s.monitorPid = ::getpid();
  s.monitorStartTime = self->startTime;
  EXPECT_TRUE(monitorAlive(s));
  s.monitorStartTime += 1;  // a recycled pid: same number, another process
  EXPECT_FALSE(monitorAlive(s));
}

TEST(Oom, FindsTheMemoryCgroup) {
  auto hybrid = memoryCgroupOf("9:name=systemd:/\n4:memory:/process_api/x/c1\n0::/u/c1\n");
  ASSERT_TRUE(hybrid);
  EXPECT_TRUE(hybrid->v1);
  EXPECT_EQ(hybrid->path, "/process_api/x/c1");
  EXPECT_EQ(hybrid->countersFile("/sys/fs/cgroup"),
            "/sys/fs/cgroup/memory/process_api/x/c1/memory.oom_control");
  auto joined = memoryCgroupOf("5:cpu,memory:/a\n");
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->path, "/a");
  auto unified = memoryCgroupOf("0::/spacelet/alice--demo--1\n");
  ASSERT_TRUE(unified);
  EXPECT_FALSE(unified->v1);
  EXPECT_EQ(unified->countersFile("/sys/fs/cgroup"),
            "/sys/fs/cgroup/spacelet/alice--demo--1/memory.events");
  EXPECT_FALSE(memoryCgroupOf("3:cpuset:/\n"));
}

TEST(Oom, ParsesCounters) {
  EXPECT_EQ(parseOomKills("low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\noom_group_kill 1\n"), 2u);
  EXPECT_EQ(parseOomKills("oom_kill_disable 0\nunder_oom 0\noom_kill 7\n"), 7u);
  EXPECT_EQ(parseOomKills("oom_kill_disable 0\nunder_oom 0\n"), 0u);
}

TEST(Oom, ReadsFromAnInjectedRoot) {
  spacelet::testing::TempDir root;
  fs::create_directories(root / "memory/a/b");
  std::ofstream(root / "memory/a/b/memory.oom_control") << "oom_kill_disable 0\noom_kill 3\n";
  auto kills = readOomKills(MemoryCgroup{true, "/a/b"}, root.path());
  ASSERT_TRUE(kills);
  EXPECT_EQ(*kills, 3u);
  EXPECT_FALSE(readOomKills(MemoryCgroup{false, "/a/b"}, root.path()));
}

TEST(MonitorOptions, ParsesAndRefuses) {
  auto o = parseOptions({"--runtime",
                         "/r",
                         "--runtime-arg",
                         "--root",
                         "--runtime-arg",
                         "/x",
                         "--id",
                         "c",
                         "--bundle",
                         "/b",
                         "--state",
                         "/s.json",
                         "--log",
                         "/l",
                         "--log-max-bytes",
                         "1Mi",
                         "--log-keep",
                         "5",
                         "--ready-fd",
                         "3",
                         "--no-delete",
                         "--log-max-line-bytes",
                         "1Ki"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->runtimeArgs, (std::vector<std::string>{"--root", "/x"}));
  EXPECT_EQ(o->logLimits.maxBytes, 1u << 20);
  EXPECT_EQ(o->logLimits.keep, 5);
  EXPECT_EQ(o->logLimits.maxLineBytes, 1024u);
  EXPECT_EQ(o->readyFd, 3);
  EXPECT_FALSE(o->deleteOnExit);
  EXPECT_EQ(o->runtimeLog, "/s.json.runtime");
  auto missing = parseOptions({"--runtime", "/r"});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("--id is required"), std::string::npos);
  EXPECT_NE(parseOptions({"--bogus"}).error().message.find("'--bogus'"), std::string::npos);
  EXPECT_NE(parseOptions({"--log-max-bytes", "12"}).error().message.find("'12'"),
            std::string::npos);
  EXPECT_NE(parseOptions({"--log-max-line-bytes", "10"}).error().message.find("at least 256"),
            std::string::npos);
  EXPECT_FALSE(parseOptions({"--ready-fd", "1"}));
  EXPECT_FALSE(parseOptions({"--log"}));
}

TEST(RuntimeLog, TakesTheLastError) {
  EXPECT_EQ(lastRuntimeError("{\"level\":\"warning\",\"msg\":\"w\"}\n"
                             "{\"level\":\"error\",\"msg\":\"first\"}\n"
                             "{\"level\":\"error\",\"msg\":\"exec: \\\"nope\\\": not found\"}\n"),
            "exec: \"nope\": not found");
  EXPECT_EQ(lastRuntimeError("plain text failure\n\n"), "plain text failure");
  EXPECT_EQ(lastRuntimeError(""), "");
}

TEST(LineSplitter, SplitsCutsAndFinishes) {
  LineSplitter splitter(8);
  std::vector<std::string> lines;
  auto emit = [&](std::string_view l) { lines.emplace_back(l); };
  splitter.feed("one\ntw", emit);
  splitter.feed("o\r\nthree-is-long\nfour", emit);
  splitter.finish(emit);
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two", "three-is", "-long", "four"}));
}

TEST(LogWriter, RotatesAtTheCapAndKeepsN) {
  spacelet::testing::TempDir dir;
  auto writer = LogWriter::open(dir / "run.log", LogLimits{100, 2},
                                [](std::string_view t) { return std::string(t) + "\n"; });
  ASSERT_TRUE(writer) << writer.error().message;
  std::string line(39, 'a');  // 40 bytes with the newline: two fit in 100, three do not
  for (int i = 0; i < 9; ++i) {
    line[0] = static_cast<char>('0' + i);
    ASSERT_TRUE(writer->append(line));
  }
  EXPECT_EQ(fs::file_size(dir / "run.log"), 40u);  // line 8
  EXPECT_EQ(readText(dir / "run.log")[0], '8');
  EXPECT_EQ(readText(dir / "run.log.1")[0], '6');
  EXPECT_EQ(readText(dir / "run.log.2")[0], '4');
  EXPECT_FALSE(fs::exists(dir / "run.log.3"));
  for (const auto& f : fs::directory_iterator(dir.path())) EXPECT_LE(fs::file_size(f), 100u);
}

TEST(LogWriter, AppendsToAnExistingFile) {
  spacelet::testing::TempDir dir;
  std::ofstream(dir / "run.log") << "old\n";
  auto writer = LogWriter::open(dir / "run.log", LogLimits{},
                                [](std::string_view t) { return std::string(t) + "\n"; });
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->append("new"));
  EXPECT_EQ(readText(dir / "run.log"), "old\nnew\n");
  EXPECT_FALSE(LogWriter::open(dir / "x", LogLimits{0, 1}, nullptr));
}

}  // namespace
}  // namespace spacelet::agent::monitor

// Tests of spacectl's command line: global options, one- and two-word commands, options with
// and without values, negative numbers, usage errors naming what to fix, help texts, tables,
// and that the bash completion file knows every command.
#include "agent/cli/args.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "agent/cli/table.h"

namespace spacelet::agent::cli {
namespace {

Result<Invocation> parse(std::vector<std::string> argv) {
  return parseCommandLine(argv, "/run/spacelet/spacelet.sock");
}

TEST(Args, CommandsOptionsAndPositionals) {
  auto inv = parse({"--socket", "/tmp/s", "--json", "create", "a/b", "--sdk", "static",
                    "--hardware=cpu-upgrade"});
  ASSERT_TRUE(inv) << inv.error().message;
  EXPECT_EQ(inv->socket, "/tmp/s");
  EXPECT_TRUE(inv->json);
  EXPECT_EQ(inv->command->name, "create");
  EXPECT_EQ(inv->args.positionals, std::vector<std::string>{"a/b"});
  EXPECT_EQ(inv->args.get("--sdk"), "static");
  EXPECT_EQ(inv->args.get("--hardware"), "cpu-upgrade");

  auto two = parse({"secret", "set", "a/b", "TOKEN"});
  ASSERT_TRUE(two);
  EXPECT_EQ(two->command->name, "secret set");
  auto sleep = parse({"sleep-time", "a/b", "-1"});
  ASSERT_TRUE(sleep) << sleep.error().message;
  EXPECT_EQ(sleep->args.positionals[1], "-1");
  auto logs = parse({"logs", "a/b", "-f", "--tail", "5", "--json"});
  ASSERT_TRUE(logs);
  EXPECT_TRUE(logs->args.has("--follow"));
  EXPECT_TRUE(logs->json);
  auto dashdash = parse({"var", "set", "a/b", "K", "--", "--not-an-option"});
  ASSERT_TRUE(dashdash);
  EXPECT_EQ(dashdash->args.positionals[2], "--not-an-option");
}

TEST(Args, UsageErrorsSayWhatToFix) {
  EXPECT_EQ(parse({}).error().message, "spacectl: no command given; see 'spacectl --help'");
  EXPECT_EQ(parse({"frob"}).error().message,
            "spacectl: unknown command 'frob'; see 'spacectl --help'");
  EXPECT_EQ(parse({"create"}).error().message,
            "spacectl create: expected ID; see 'spacectl create --help'");
  EXPECT_EQ(parse({"create", "a/b", "--x"}).error().message,
            "spacectl create: unknown option '--x'; see 'spacectl create --help'");
  EXPECT_EQ(parse({"create", "a/b", "--sdk"}).error().message,
            "spacectl create: option '--sdk' needs a value (S)");
  EXPECT_EQ(parse({"restart", "a/b", "--factory=yes"}).error().message,
            "spacectl restart: option '--factory' takes no value");
  EXPECT_EQ(parse({"secret"}).error().message,
            "spacectl secret: needs one of set, ls, rm; see 'spacectl secret --help'");
  EXPECT_EQ(parse({"--bogus", "info"}).error().message,
            "spacectl: unknown option '--bogus'; see 'spacectl --help'");
}

TEST(Args, HelpTexts) {
  auto help = parse({"--help"});
  ASSERT_TRUE(help);
  EXPECT_TRUE(help->help);
  EXPECT_EQ(help->command, nullptr);
  std::string global = globalHelp();
  for (const auto& c : commands())
    EXPECT_NE(global.find("  " + c.name), std::string::npos) << c.name;
  EXPECT_NE(global.find("5 the agent\n  cannot be reached"), std::string::npos);
  auto one = parse({"help", "wait"});
  ASSERT_TRUE(one);
  EXPECT_NE(commandHelp(*one->command).find("--timeout SECONDS"), std::string::npos);
  auto group = parse({"secret", "--help"});
  ASSERT_TRUE(group);
  EXPECT_EQ(group->group, "secret");
  EXPECT_NE(groupHelp("secret").find("secret set ID KEY"), std::string::npos);
}

TEST(Table, AlignsColumns) {
  EXPECT_EQ(renderTable({"ID", "STAGE"}, {{"alice/demo", "RUNNING"}, {"b/c", "PAUSED"}}),
            "ID          STAGE\nalice/demo  RUNNING\nb/c         PAUSED\n");
  EXPECT_EQ(humanBytes(16ull << 30), "16Gi");
  EXPECT_EQ(humanBytes(25276502016ull), "23.5Gi");
  EXPECT_EQ(humanSeconds(-1), "never");
  EXPECT_EQ(humanSeconds(172800), "2d");
}

TEST(Completion, KnowsEveryCommandAndOption) {
  std::ifstream in(std::string(SPACELET_SOURCE_DIR) + "/packaging/bash-completion/spacectl");
  ASSERT_TRUE(in) << "packaging/bash-completion/spacectl is missing";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  for (const auto& c : commands()) {
    std::string last = c.name.substr(c.name.rfind(' ') + 1);
    EXPECT_NE(text.find(last), std::string::npos) << c.name;
    for (const auto& o : c.options)
      EXPECT_NE(text.find(o.name), std::string::npos) << c.name << " " << o.name;
  }
}

}  // namespace
}  // namespace spacelet::agent::cli

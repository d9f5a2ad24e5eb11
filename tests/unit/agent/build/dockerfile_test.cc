// Unit and golden tests of the Dockerfile parser and word processing. Golden files live in
// golden/: NAME.Dockerfile is parsed and describe() must equal NAME.parsed. To regenerate
// after an intended change: SPACELET_UPDATE_GOLDEN=1 ./agent_build_unit_tests, then review
// the diff.
#include <gtest/gtest.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "agent/build/dockerfile.h"
#include "agent/build/shell_words.h"
#include "test_env.h"

namespace spacelet::agent::build {
namespace {
namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

fs::path goldenDir() {
  return fs::path(spacelet::testing::sourceDir()) / "tests/unit/agent/build/golden";
}

TEST(DockerfileGolden, EachGoldenFileParsesAsRecorded) {
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(goldenDir())) {
    if (entry.path().extension() != ".Dockerfile") continue;
    auto parsed = parseDockerfile(slurp(entry.path()));
    ASSERT_TRUE(parsed) << entry.path() << ": " << parsed.error().message;
    fs::path expected = entry.path();
    expected.replace_extension(".parsed");
    std::string actual = describe(*parsed);
    if (std::getenv("SPACELET_UPDATE_GOLDEN")) std::ofstream(expected, std::ios::binary) << actual;
    EXPECT_EQ(actual, slurp(expected)) << "golden mismatch for " << entry.path();
    ++checked;
  }
  EXPECT_GE(checked, 4);
}

TEST(Dockerfile, LinesFlagsAndForms) {
  auto df = parseDockerfile(
      "FROM busybox AS base\n\n# comment\nRUN --mount=type=secret,id=tok \\\n  cat x\n"
      "CMD [\"a\", \"b\"]\nCMD [not json\n");
  ASSERT_TRUE(df) << df.error().message;
  ASSERT_EQ(df->instructions.size(), 4u);
  const auto& run = df->instructions[1];
  EXPECT_EQ(run.line, 4);
  EXPECT_EQ(run.flag("mount"), "type=secret,id=tok");
  EXPECT_EQ(run.rest, "cat x");
  EXPECT_TRUE(df->instructions[2].execForm);
  EXPECT_EQ(df->instructions[2].execArgs, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(df->instructions[3].execForm);  // malformed JSON is the shell form
}

struct BadCase {
  const char* text;
  const char* message;
};

TEST(Dockerfile, ErrorsNameTheLineAndInstruction) {
  const std::vector<BadCase> cases = {
      {"", "no instructions"},
      {"RUN echo\n", "line 1: RUN: the first instruction must be FROM"},
      {"FROM a\nFOO bar\n", "line 2: unknown instruction 'FOO'"},
      {"FROM a\nONBUILD RUN x\n", "line 2: ONBUILD: ONBUILD is not supported"},
      {"FROM a\nRUN\n", "line 2: RUN: needs an argument"},
      {"FROM a\nCOPY onlyone\n", "line 2: COPY: needs at least one source and a destination"},
      {"FROM a\nCOPY --bogus=1 a b\n", "line 2: COPY: unknown flag '--bogus'"},
      {"FROM a\nCOPY --chmod=rwx a b\n", "--chmod='rwx' must be octal"},
      {"FROM a\nWORKDIR /x\nRUN <<EOF\necho\n", "line 3: RUN: heredoc 'EOF' is never closed"},
      {"FROM a b c\n", "line 1: FROM: expected 'FROM <image> [AS <name>]'"},
      {"FROM a AS 9bad\n", "stage name '9bad'"},
      {"FROM a\nENV novalue\n", "line 2: ENV: 'novalue' needs a value"},
      {"FROM a\nENV 1x=2\n", "'1x' is not a valid variable name"},
      {"FROM a\nSHELL /bin/bash -c\n", "SHELL: needs the JSON form"},
      {"FROM a\nHEALTHCHECK --interval=soon CMD x\n", "duration 'soon'"},
      {"FROM a\nHEALTHCHECK --retries=x CMD x\n", "--retries='x'"},
      {"FROM a\nHEALTHCHECK sometimes\n", "expected 'HEALTHCHECK NONE'"},
      {"FROM a\nUSER a b\n", "USER: takes exactly one"},
      {"FROM a\nENV A=\"unterminated\n", "unterminated quote"},
      {"# escape=x\nFROM a\n", "escape directive 'x'"},
      {"# escape=`\n# escape=\\\nFROM a\n", "parser directive 'escape' is repeated"},
      {"FROM a\nENV A=\xff\xfe\n", "line 2: the Dockerfile is not valid UTF-8"},
  };
  for (const auto& c : cases) {
    auto df = parseDockerfile(c.text);
    ASSERT_FALSE(df) << c.text;
    EXPECT_NE(df.error().message.find(c.message), std::string::npos)
        << "for:\n"
        << c.text << "got: " << df.error().message;
  }
}

TEST(Dockerfile, Limits) {
  ParseLimits limits;
  limits.maxBytes = 10;
  EXPECT_FALSE(parseDockerfile("FROM busybox\n", limits));
  limits = {};
  limits.maxInstructions = 2;
  EXPECT_FALSE(parseDockerfile("FROM a\nRUN a\nRUN b\n", limits));
}

TEST(Dockerfile, KeyValuesAndDurations) {
  auto kv = parseKeyValues("A=1 B=\"two words\" C", '\\', false);
  ASSERT_TRUE(kv);
  ASSERT_EQ(kv->size(), 3u);
  EXPECT_EQ((*kv)[1].value, "\"two words\"");
  EXPECT_FALSE((*kv)[2].hasValue);
  auto legacy = parseKeyValues("KEY a value", '\\', true);
  EXPECT_EQ((*legacy)[0].value, "a value");
  EXPECT_EQ(*parseDuration("1m30s"), 90'000'000'000LL);
  EXPECT_EQ(*parseDuration("500ms"), 500'000'000LL);
  EXPECT_FALSE(parseDuration("5"));
}

TEST(ShellWords, ExpansionAndQuotes) {
  std::map<std::string, std::string> env = {{"A", "1"}, {"EMPTY", ""}, {"P", "/bin"}};
  VarLookup vars = [&](const std::string& k) -> std::optional<std::string> {
    auto it = env.find(k);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  auto x = [&](const char* raw) { return expandWord(raw, &vars, '\\').value_or("<error>"); };
  EXPECT_EQ(x("$A"), "1");
  EXPECT_EQ(x("${A}x"), "1x");
  EXPECT_EQ(x("'$A'"), "$A");
  EXPECT_EQ(x("\"$A b\""), "1 b");
  EXPECT_EQ(x("\\$A"), "$A");
  EXPECT_EQ(x("${MISSING:-def}"), "def");
  EXPECT_EQ(x("${EMPTY:-def}"), "def");
  EXPECT_EQ(x("${EMPTY-def}"), "");
  EXPECT_EQ(x("${A:+alt}"), "alt");
  EXPECT_EQ(x("${MISSING:+alt}"), "");
  EXPECT_EQ(x("${MISSING:-${P}/sh}"), "/bin/sh");
  EXPECT_EQ(x("$P:$MISSING:end"), "/bin::end");
  EXPECT_EQ(x("cost$"), "cost$");
  EXPECT_FALSE(expandWord("${MISSING:?must be set}", &vars, '\\'));
  EXPECT_FALSE(expandWord("${A", &vars, '\\'));
  EXPECT_FALSE(expandWord("'open", &vars, '\\'));
  EXPECT_EQ(*expandWord("$A", nullptr, '\\'), "$A");
  EXPECT_EQ(*expandWord("C:\\dir", &vars, '`'), "C:\\dir");
  auto words = splitRawWords("a 'b c' \"d e\" f\\ g", '\\');
  EXPECT_EQ(*words, (std::vector<std::string>{"a", "'b c'", "\"d e\"", "f\\ g"}));
}

}  // namespace
}  // namespace spacelet::agent::build

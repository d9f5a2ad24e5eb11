// The log sink's line formats: text with program prefix, and runc-compatible JSON.
#include "spacelet/base/log.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace spacelet::log {
namespace {

TEST(Log, TextLineHasProgramAndLevel) {
  Sink s{.fd = -1, .format = Format::kText, .minimum = Level::kInfo, .program = "spacelet-run"};
  EXPECT_EQ(formatLine(s, Level::kError, "boom"), "spacelet-run: error: boom\n");
  EXPECT_EQ(formatLine(s, Level::kInfo, "hello"), "spacelet-run: hello\n");
}

TEST(Log, JsonLineParsesAndEscapes) {
  Sink s{.fd = -1, .format = Format::kJson};
  std::string line = formatLine(s, Level::kError, "quote \" and\nnewline\x01");
  ASSERT_EQ(line.back(), '\n');
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["msg"], "quote \" and\nnewline\x01");
  EXPECT_TRUE(j["time"].get<std::string>().ends_with("Z"));
}

}  // namespace
}  // namespace spacelet::log

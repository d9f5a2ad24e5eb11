// Golden-file comparison for the netpolicy unit tests: the expected text lives in
// tests/unit/netpolicy/golden/. Run a test with SPACELET_UPDATE_GOLDEN=1 to rewrite the files
// after an intended change, then review the diff like any other code change.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "test_env.h"

namespace spacelet::netpolicy::testing {

inline void expectGolden(const std::string& name, const std::string& actual) {
  std::string path = spacelet::testing::sourceDir() + "/tests/unit/netpolicy/golden/" + name;
  const char* update = std::getenv("SPACELET_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(path) << actual;
    return;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "missing golden file " << path
                         << " (create it with SPACELET_UPDATE_GOLDEN=1)";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(expected.str(), actual)
      << "output differs from " << path << " (SPACELET_UPDATE_GOLDEN=1 rewrites it)";
}

}  // namespace spacelet::netpolicy::testing

// Implementation of the GPU test helpers (see gpu_test_util.h).
#include "gpu_test_util.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_env.h"

namespace spacelet::agent::gpu::testing {
namespace fs = std::filesystem;

void writeFile(const std::string& path, const std::string& text) {
  makeDirs(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << "write " << path;
}

void makeDirs(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  ASSERT_FALSE(ec) << "mkdir -p " << path << ": " << ec.message();
}

void expectGolden(const nlohmann::json& actual, const std::string& name) {
  std::string path = std::string(SPACELET_GPU_GOLDEN_DIR) + "/" + name;
  const char* update = std::getenv("SPACELET_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    writeFile(path, actual.dump(2) + "\n");
    return;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "missing golden file " << path
                         << " (run with SPACELET_UPDATE_GOLDEN=1 to create it)";
  std::stringstream text;
  text << in.rdbuf();
  auto expected = nlohmann::json::parse(text.str());
  EXPECT_EQ(actual, expected) << "golden " << name << " differs; actual:\n"
                              << actual.dump(2) << "\ndiff (RFC 6902, golden -> actual):\n"
                              << nlohmann::json::diff(expected, actual).dump(2);
}

std::string makeFakeDriverRoot(const std::string& root) {
  std::string libDir = root + kFakeLibDir;
  std::error_code ec;
  fs::create_directories(libDir, ec);
  fs::create_directories(root + "/etc", ec);
  for (const char* lib : {"cuda", "nvidia-ml", "nvidia-ptxjitcompiler", "spacelet-not-a-driver"}) {
    std::string file = std::string("lib") + lib + ".so.535.104.05";
    fs::copy_file(std::string(SPACELET_GPU_FAKE_DRIVER_DIR) + "/" + file, libDir + "/" + file,
                  fs::copy_options::overwrite_existing, ec);
    if (ec) return "copy fake driver library " + file + ": " + ec.message();
  }
  std::ofstream(root + "/etc/ld.so.conf") << kFakeLibDir << "\n";
  auto result = spacelet::testing::runCommand(
      {"unshare", "-r", "ldconfig", "-r", root, "-C", "/etc/ld.so.cache", "-f", "/etc/ld.so.conf"});
  if (result.status != 0) {
    return "cannot build a fake ld.so.cache (needs unprivileged user namespaces for "
           "'unshare -r ldconfig -r'): " +
           result.output;
  }
  return "";
}

}  // namespace spacelet::agent::gpu::testing

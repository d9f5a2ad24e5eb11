// The SDK end-to-end tests' apt repository (see sdk_apt_repository.h).
#include "sdk_apt_repository.h"

#include <filesystem>
#include <fstream>

#include "test_env.h"

namespace spacelet::e2e {

std::string makeAptRepository(const std::string& dir, const std::string& package,
                              const std::map<std::string, std::string>& files) {
  namespace fs = std::filesystem;
  using spacelet::testing::runCommand;
  std::string tree = dir + ".src";
  std::error_code ec;
  fs::create_directories(tree + "/DEBIAN", ec);
  fs::create_directories(dir, ec);
  if (ec) return "create " + dir + ": " + ec.message();
  std::ofstream(tree + "/DEBIAN/control")
      << "Package: " << package
      << "\nVersion: 1.0\nArchitecture: all\nMaintainer: spacelet e2e <e2e@spacelet.test>\n"
         "Description: a package of spacelet's end-to-end tests\n";
  for (const auto& [path, content] : files) {
    fs::create_directories(fs::path(tree + path).parent_path(), ec);
    std::ofstream(tree + path) << content;
  }
  auto built = runCommand(
      {"dpkg-deb", "--root-owner-group", "--build", tree, dir + "/" + package + "_1.0_all.deb"});
  fs::remove_all(tree, ec);
  if (built.status != 0) return "dpkg-deb: " + built.output;
  auto indexed = runCommand({"sh", "-c",
                             "cd \"$1\" && dpkg-scanpackages --multiversion . > Packages && "
                             "gzip -9k Packages",
                             "sh", dir});
  if (indexed.status != 0) return "dpkg-scanpackages: " + indexed.output;
  return "";
}

}  // namespace spacelet::e2e

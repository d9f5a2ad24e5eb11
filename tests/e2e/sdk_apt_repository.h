// A local apt repository for the SDK end-to-end tests: builds have no network, so
// packages.txt installs from a flat repository on the node (builds.apt_repository, bound at
// /apt-repository) named by builds.apt_sources. The test makes a real .deb with dpkg-deb and
// indexes it with dpkg-scanpackages.
#pragma once

#include <map>
#include <string>

namespace spacelet::e2e {

// Writes `package` 1.0 (Architecture: all) holding `files` (absolute path in the package ->
// content) into `dir` (created), with Packages and Packages.gz. "" or why not.
std::string makeAptRepository(const std::string& dir, const std::string& package,
                              const std::map<std::string, std::string>& files);

// The sources.list line for that repository as the build sees it.
inline constexpr const char* kAptRepositorySource = "deb [trusted=yes] file:/apt-repository ./\n";

}  // namespace spacelet::e2e

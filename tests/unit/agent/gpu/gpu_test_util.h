// Helpers for the GPU tests: golden JSON files, small file writers, and a fake driver root
// (fake libraries plus the ld.so.cache ldconfig builds for them) shared by the unit and
// integration tests.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace spacelet::agent::gpu::testing {

// Compares `actual` with golden/<name>; SPACELET_UPDATE_GOLDEN=1 rewrites the file instead.
void expectGolden(const nlohmann::json& actual, const std::string& name);

void writeFile(const std::string& path, const std::string& text);
void makeDirs(const std::string& path);

// A root holding usr/lib/x86_64-linux-gnu/{libcuda,libnvidia-ml,libnvidia-ptxjitcompiler,
// libspacelet-not-a-driver}.so.535.104.05 with their soname links, and etc/ld.so.cache
// listing exactly those, built by `ldconfig -r root` in an unprivileged user namespace
// (`unshare -r`), so the host's own libraries stay out of it.
// Returns "" on success, else why it could not be built (the test skips with that reason).
std::string makeFakeDriverRoot(const std::string& root);

inline constexpr const char* kFakeLibDir = "/usr/lib/x86_64-linux-gnu";

}  // namespace spacelet::agent::gpu::testing

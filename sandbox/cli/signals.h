// Signal names for `spacelet-run kill`: "KILL", "SIGKILL", "kill", "9", "SIGRTMIN+3".
#pragma once

#include <string_view>

#include "spacelet/base/error.h"

namespace spacelet::sandbox::cli {

Result<int> parseSignal(std::string_view text);

}  // namespace spacelet::sandbox::cli

// linux.maskedPaths (hidden: a read-only empty tmpfs over a directory, /dev/null over a
// file) and linux.readonlyPaths (bound onto themselves read-only), applied after pivot_root.
// Paths that do not exist are skipped, as the spec allows. Uses the fd-based mount API
// (open_tree/fsopen/move_mount, Linux 5.2) so it needs no /proc in the container.
#pragma once

#include <string>
#include <vector>

#include "sandbox/linux/step_error.h"

namespace spacelet::sandbox::linux {

StepError maskPaths(const std::vector<std::string>& paths);
StepError makeReadonlyPaths(const std::vector<std::string>& paths);

}  // namespace spacelet::sandbox::linux

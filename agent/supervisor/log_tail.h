// The last lines of a log file, for error messages ("... Last log lines: ...") and crash
// reports. Reads at most the final `maxBytes` of the file.
#pragma once

#include <string>
#include <vector>

namespace spacelet::agent::supervisor {

// Up to `lines` complete last lines of the file; empty when it cannot be read.
std::vector<std::string> readLastLines(const std::string& path, size_t lines,
                                       size_t maxBytes = 64 * 1024);

}  // namespace spacelet::agent::supervisor

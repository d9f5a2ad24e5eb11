// Log file helpers of the supervisor: the last lines of a log, for error messages ("... Last
// log lines: ...") and crash reports, and the links <logs>/build.log and run.log that point at
// the current deployment's files (what `spacectl logs` streams).
#pragma once

#include <string>
#include <vector>

namespace spacelet::agent::supervisor {

// Up to `lines` complete last lines of the file; empty when it cannot be read.
std::vector<std::string> readLastLines(const std::string& path, size_t lines,
                                       size_t maxBytes = 64 * 1024);

// Points <logsDir>/<name> at target, replacing the link atomically (symlink + rename).
void pointCurrentLog(const std::string& logsDir, const std::string& name,
                     const std::string& target);

}  // namespace spacelet::agent::supervisor

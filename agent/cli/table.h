// Human tables for spacectl: columns padded to their widest cell, a header row, two spaces
// between columns, and no trailing spaces.
#pragma once

#include <string>
#include <vector>

namespace spacelet::agent::cli {

std::string renderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

// "16Gi"-style sizes and "2d" durations for humans.
std::string humanBytes(uint64_t bytes);
std::string humanSeconds(int64_t seconds);  // -1: "never"

}  // namespace spacelet::agent::cli

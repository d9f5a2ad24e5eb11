// Table rendering and human units (see table.h).
#include "agent/cli/table.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "agent/config/units.h"

namespace spacelet::agent::cli {

std::string renderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size(), 0);
  auto measure = [&widths](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  };
  measure(header);
  for (const auto& row : rows) measure(row);
  auto line = [&widths](const std::vector<std::string>& row) {
    std::string out;
    for (size_t i = 0; i < widths.size(); ++i) {
      std::string cell = i < row.size() ? row[i] : "";
      if (i + 1 < widths.size()) cell.resize(widths[i] + 2, ' ');
      out += cell;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& row : rows) out += line(row);
  return out;
}

std::string humanBytes(uint64_t bytes) {
  std::string exact = config::formatBytes(bytes);
  if (exact.size() <= 6) return exact;
  // Long exact forms ("24684084Ki") read better rounded: "23.5Gi".
  const char* units[] = {"Ki", "Mi", "Gi", "Ti", "Pi"};
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 4) value /= 1024, ++unit;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%s", value, units[unit]);
  return buf;
}

std::string humanSeconds(int64_t seconds) {
  if (seconds < 0) return "never";
  return config::formatSeconds(static_cast<uint64_t>(seconds));
}

}  // namespace spacelet::agent::cli

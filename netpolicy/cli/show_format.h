// How `spacelet-net show` prints Spaces: an aligned text table (overrides and published ports
// on indented lines below their Space) or JSON. Pure, so the unit tests pin the format.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "spacelet/netpolicy/net_policy.h"

namespace spacelet::netpolicy::cli {

std::string formatShowText(const std::vector<SpaceStatus>& spaces);
nlohmann::json formatShowJson(const std::vector<SpaceStatus>& spaces);
// "1.5 KiB", "12 B", "3.0 MiB": bytes for people.
std::string humanBytes(uint64_t bytes);

}  // namespace spacelet::netpolicy::cli

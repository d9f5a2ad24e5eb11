// Just enough HTTP/1.x to route a connection: find where the request head ends and read its
// Host header. Pure; the proxy forwards the bytes untouched.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace spacelet::agent::proxy {

// The length of the head ("...\r\n\r\n" included) when `buffer` holds all of it.
std::optional<size_t> headLength(std::string_view buffer);
// The Host header's value (case-insensitive name), if present.
std::optional<std::string> hostHeader(std::string_view head);

}  // namespace spacelet::agent::proxy

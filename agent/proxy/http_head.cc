// Request head scanning for the proxy (see http_head.h).
#include "agent/proxy/http_head.h"

#include <strings.h>

namespace spacelet::agent::proxy {

std::optional<size_t> headLength(std::string_view buffer) {
  auto end = buffer.find("\r\n\r\n");
  if (end != std::string_view::npos) return end + 4;
  end = buffer.find("\n\n");  // bare-LF clients
  if (end != std::string_view::npos) return end + 2;
  return std::nullopt;
}

std::optional<std::string> hostHeader(std::string_view head) {
  size_t pos = head.find('\n');  // skip the request line
  while (pos != std::string_view::npos && pos + 1 < head.size()) {
    size_t start = pos + 1;
    size_t end = head.find('\n', start);
    std::string_view line = head.substr(start, end == std::string_view::npos ? end : end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > 5 && ::strncasecmp(line.data(), "host:", 5) == 0) {
      return std::string(line.substr(5));
    }
    pos = end;
  }
  return std::nullopt;
}

}  // namespace spacelet::agent::proxy

// Path splitting, decoding and matching (see router.h).
#include "agent/api/router.h"

namespace spacelet::agent::api {
namespace {

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> decodeSegment(std::string_view raw) {
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      out += raw[i];
      continue;
    }
    if (i + 2 >= raw.size() || hexDigit(raw[i + 1]) < 0 || hexDigit(raw[i + 2]) < 0)
      return failInvalid("malformed percent-escape in the path");
    out += static_cast<char>(hexDigit(raw[i + 1]) * 16 + hexDigit(raw[i + 2]));
    i += 2;
  }
  for (unsigned char c : out) {
    if (c == '/') return failInvalid("a path segment contains an encoded '/'");
    if (c < 0x20 || c == 0x7f)
      return failInvalid("a path segment contains a control character or NUL");
  }
  if (out == "." || out == "..") return failInvalid("the path contains a '.' or '..' segment");
  return out;
}

std::vector<std::string> splitPattern(const std::string& pattern) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= pattern.size()) {
    size_t slash = pattern.find('/', start);
    if (slash == std::string::npos) slash = pattern.size();
    out.push_back(pattern.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

}  // namespace

Result<std::vector<std::string>> Router::splitPath(std::string_view raw) {
  if (raw.empty() || raw[0] != '/') return failInvalid("the path must start with '/'");
  std::vector<std::string> segments;
  size_t start = 1;
  while (start <= raw.size()) {
    size_t slash = raw.find('/', start);
    if (slash == std::string_view::npos) slash = raw.size();
    std::string_view piece = raw.substr(start, slash - start);
    if (piece.empty())
      return failInvalid("the path has an empty segment (a '//' or a trailing '/')");
    auto decoded = decodeSegment(piece);
    if (!decoded) return fail(std::move(decoded).error());
    segments.push_back(std::move(*decoded));
    start = slash + 1;
  }
  return segments;
}

void Router::add(std::string method, const std::string& pattern, RouteHandler handler) {
  routes_.push_back(Route{std::move(method), splitPattern(pattern), std::move(handler)});
}

bool Router::match(const Route& route, const std::vector<std::string>& segments, Params& params) {
  if (route.pattern.size() != segments.size()) return false;
  Params found;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& p = route.pattern[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      found[p.substr(1, p.size() - 2)] = segments[i];
    } else if (p != segments[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

Response Router::dispatch(Request& request) const {
  auto segments = splitPath(request.path);
  if (!segments) return errorResponse(400, "invalid_path", segments.error().message);
  std::string allowed;
  for (const auto& route : routes_) {
    Params params;
    if (!match(route, *segments, params)) continue;
    if (route.method == request.method) return route.handler(request, params);
    allowed += (allowed.empty() ? "" : ", ") + route.method;
  }
  if (allowed.empty())
    return errorResponse(404, "not_found", "no API endpoint at this path; see docs/api.md");
  Response r = errorResponse(405, "method_not_allowed",
                             request.method + " is not allowed here; use " + allowed);
  r.headers.emplace_back("Allow", allowed);
  return r;
}

}  // namespace spacelet::agent::api

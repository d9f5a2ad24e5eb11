// Maps (method, path) to a handler. Patterns are segment lists with named parameters:
// "/v1/spaces/{author}/{name}/secrets/{key}". The raw path is split on '/' first and each
// segment percent-decoded after, so an encoded '/' or NUL, "." and "..", empty segments and bad
// escapes are refused with 400 before any handler runs. A known path with the wrong method
// gets 405 with an Allow header; an unknown path 404.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "agent/api/http.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::api {

using Params = std::map<std::string, std::string>;
using RouteHandler = std::function<Response(Request&, const Params&)>;

class Router {
 public:
  void add(std::string method, const std::string& pattern, RouteHandler handler);
  Response dispatch(Request& request) const;

  // The decoded segments of a raw path, or why it is refused.
  static Result<std::vector<std::string>> splitPath(std::string_view raw);

 private:
  struct Route {
    std::string method;
    std::vector<std::string> pattern;  // "{name}" segments are parameters
    RouteHandler handler;
  };
  static bool match(const Route& route, const std::vector<std::string>& segments, Params& params);
  std::vector<Route> routes_;
};

}  // namespace spacelet::agent::api

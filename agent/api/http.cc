// Request helpers and the API's error body (see http.h).
#include "agent/api/http.h"

#include <nlohmann/json.hpp>

namespace spacelet::agent::api {

std::optional<std::string> Request::queryValue(std::string_view name) const {
  for (const auto& [key, value] : query)
    if (key == name) return value;
  return std::nullopt;
}

Response errorResponse(int status, std::string_view code, std::string_view message) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return r;
}

}  // namespace spacelet::agent::api

// The HTTP request and response types the API handlers see, independent of the server
// library: the caller's SO_PEERCRED identity, the raw (undecoded) path, decoded query
// parameters, the body; a response is a status and a JSON body, or a StreamBody that the
// server drains as the client reads.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/api/stream_body.h"

namespace spacelet::agent::api {

// Who is on the other end of the socket, from SO_PEERCRED and SO_PEERGROUPS at connect time.
struct Peer {
  bool known = false;
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

struct Request {
  std::string method;
  std::string path;  // as sent, percent-encoding intact; the router decodes each segment
  std::vector<std::pair<std::string, std::string>> query;  // decoded
  std::string accept;                                      // the Accept header
  std::string body;
  Peer peer;

  std::optional<std::string> queryValue(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<StreamBody> stream;  // when set, streamed instead of body
};

// {"error": {"code": code, "message": message}} with the status.
Response errorResponse(int status, std::string_view code, std::string_view message);

}  // namespace spacelet::agent::api

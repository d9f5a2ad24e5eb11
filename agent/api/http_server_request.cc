// One request through the server (see http_server.h): read the body within the limit, build a
// Request, call the handler, queue its Response (a buffer, or a stream that suspends the
// connection while it has nothing to send).
#include <microhttpd.h>

#include <charconv>

#include "agent/api/http_server.h"
#include "agent/config/units.h"

namespace spacelet::agent::api {
namespace {

std::string header(MHD_Connection* c, const char* name) {
  const char* v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
  return v ? v : "";
}

bool declaresTooMuch(MHD_Connection* c, uint64_t limit) {
  std::string length = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), n);
  return ec == std::errc() && end == length.data() + length.size() && n > limit;
}

Response tooLarge(uint64_t limit) {
  return errorResponse(413, "payload_too_large",
                       "the request body is larger than " + config::formatBytes(limit) +
                           " (api.max_body_bytes); send less, or raise the limit");
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decodeQuery(const char* text) {
  std::string out;
  for (size_t i = 0; text && text[i]; ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && hexDigit(text[i + 1]) >= 0 && hexDigit(text[i + 2]) >= 0) {
      out += static_cast<char>(hexDigit(text[i + 1]) * 16 + hexDigit(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

MHD_Result collectQueryArg(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* query = static_cast<std::vector<std::pair<std::string, std::string>>*>(cls);
  query->emplace_back(decodeQuery(key), decodeQuery(value));
  return MHD_YES;
}

}  // namespace

int HttpServer::onAccess(MHD_Connection* c, const char* url, const char* method,
                         const char* uploadData, size_t* uploadSize, void** requestContext) {
  auto* state = static_cast<RequestState*>(*requestContext);
  if (!state) {
    state = new RequestState();
    *requestContext = state;
    // Refuse a declared oversize body before reading any of it.
    if (declaresTooMuch(c, options_.maxBodyBytes))
      return queue(c, tooLarge(options_.maxBodyBytes), *state);
    return MHD_YES;
  }
  if (*uploadSize > 0) {
    if (!state->tooLarge && state->body.size() + *uploadSize > options_.maxBodyBytes) {
      state->tooLarge = true;  // chunked uploads have no Content-Length to check up front
      state->body.clear();
      state->body.shrink_to_fit();
    }
    if (!state->tooLarge) state->body.append(uploadData, *uploadSize);
    *uploadSize = 0;
    return MHD_YES;
  }
  if (state->tooLarge) return queue(c, tooLarge(options_.maxBodyBytes), *state);
  Request request;
  request.method = method;
  request.path = url;
  request.accept = header(c, MHD_HTTP_HEADER_ACCEPT);
  request.body = std::move(state->body);
  MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, &collectQueryArg, &request.query);
  const MHD_ConnectionInfo* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  if (info && info->socket_context) request.peer = *static_cast<Peer*>(info->socket_context);
  return queue(c, handler_(request), *state);
}

int HttpServer::queue(MHD_Connection* c, Response r, RequestState& request) {
  MHD_Response* response = nullptr;
  if (r.stream) {
    auto stream = std::make_shared<StreamState>();
    stream->body = r.stream;
    stream->connection = c;
    stream->server = this;
    response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, &readStreamBody,
                                                 new std::shared_ptr<StreamState>(stream),
                                                 &freeStreamBody);
    std::weak_ptr<StreamState> weak = stream;
    stream->body->attach([this, weak] {
      auto s = weak.lock();
      if (!s || !s->open || !s->suspended) return;
      s->suspended = false;
      s->hangup.reset();
      MHD_resume_connection(s->connection);
      scheduleRun();
    });
    request.stream = stream;
    streams_.insert(stream.get());
    MHD_add_response_header(response, "Cache-Control", "no-cache");
  } else {
    response = MHD_create_response_from_buffer(r.body.size(), r.body.data(), MHD_RESPMEM_MUST_COPY);
  }
  if (!response) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, r.contentType.c_str());
  for (const auto& [name, value] : r.headers)
    MHD_add_response_header(response, name.c_str(), value.c_str());
  MHD_Result result = MHD_queue_response(c, static_cast<unsigned>(r.status), response);
  MHD_destroy_response(response);
  return result;
}

}  // namespace spacelet::agent::api

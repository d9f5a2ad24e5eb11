// libcurl over a Unix socket (see client.h).
#include "agent/cli/client.h"

#include <curl/curl.h>

namespace spacelet::agent::cli {
namespace {

size_t collect(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// State of a streamed response: complete lines go to the handler as they arrive.
struct StreamState {
  const Client::LineHandler* onLine;
  std::string partial;
  std::string errorBody;
  bool stopped = false;
  long status = 0;
  CURL* curl = nullptr;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  bool timedOut = false;
};

size_t onStreamData(char* data, size_t size, size_t count, void* user) {
  auto* s = static_cast<StreamState*>(user);
  if (s->status == 0) curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->status);
  size_t n = size * count;
  if (s->status < 200 || s->status >= 300) {
    s->errorBody.append(data, n);
    return n;
  }
  s->partial.append(data, n);
  size_t start = 0;
  for (size_t nl; (nl = s->partial.find('\n', start)) != std::string::npos; start = nl + 1) {
    if (!(*s->onLine)(s->partial.substr(start, nl - start))) {
      s->stopped = true;
      return 0;  // makes curl stop with CURLE_WRITE_ERROR
    }
  }
  s->partial.erase(0, start);
  return n;
}

int onProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* s = static_cast<StreamState*>(user);
  if (s->deadline && std::chrono::steady_clock::now() >= *s->deadline) {
    s->timedOut = true;
    return 1;
  }
  return 0;
}

}  // namespace

std::string escapeSegment(const std::string& segment) {
  char* escaped = curl_easy_escape(nullptr, segment.data(), static_cast<int>(segment.size()));
  std::string out = escaped ? escaped : "";
  curl_free(escaped);
  return out;
}

Client::Client(std::string socketPath) : socketPath_(std::move(socketPath)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  curl_ = curl_easy_init();
}

Client::~Client() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
  curl_global_cleanup();
}

void* Client::prepare(const std::string& method, const std::string& path) {
  CURL* c = static_cast<CURL*>(curl_);
  curl_easy_reset(c);
  curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socketPath_.c_str());
  curl_easy_setopt(c, CURLOPT_URL, ("http://localhost" + path).c_str());
  curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);  // the agent judges the path, not curl
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "spacectl");
  return c;
}

Error Client::transportError(int code, const std::string& path) const {
  auto rc = static_cast<CURLcode>(code);
  std::string what = std::string(curl_easy_strerror(rc));
  if (rc == CURLE_COULDNT_CONNECT) {
    return Error{ECONNREFUSED, "cannot reach spaceletd at '" + socketPath_ +
                                   "': is it running? (systemctl status spaceletd; or pass "
                                   "--socket PATH)"};
  }
  return Error{EIO, "request " + path + " to '" + socketPath_ + "': " + what};
}

Result<HttpResult> Client::request(const std::string& method, const std::string& path,
                                   const std::string& body) {
  CURL* c = static_cast<CURL*>(prepare(method, path));
  HttpResult result;
  struct curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  if (!body.empty() || method == "POST" || method == "PUT") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &result.body);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) return fail(transportError(rc, path));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.status);
  return result;
}

Result<HttpResult> Client::stream(const std::string& path, const LineHandler& onLine,
                                  std::optional<std::chrono::steady_clock::time_point> deadline) {
  prepare("GET", path);
  return performStream(path, onLine, deadline);
}

Result<HttpResult> Client::stream(const std::string& method, const std::string& path,
                                  const std::string& body, const LineHandler& onLine) {
  CURL* c = static_cast<CURL*>(prepare(method, path));
  struct curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  auto result = performStream(path, onLine, std::nullopt);
  curl_slist_free_all(headers);
  return result;
}

Result<HttpResult> Client::performStream(
    const std::string& path, const LineHandler& onLine,
    std::optional<std::chrono::steady_clock::time_point> deadline) {
  CURL* c = static_cast<CURL*>(curl_);
  StreamState state{&onLine, "", "", false, 0, c, deadline, false};
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &onStreamData);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &onProgress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &state);
  CURLcode rc = curl_easy_perform(c);
  if (state.timedOut) return fail(Error{ETIMEDOUT, "timed out"});
  if (rc != CURLE_OK && !state.stopped) return fail(transportError(rc, path));
  HttpResult result;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.status);
  result.body = state.errorBody;
  if (!state.partial.empty() && !state.stopped) onLine(state.partial);
  return result;
}

}  // namespace spacelet::agent::cli

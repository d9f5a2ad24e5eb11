// Progress and result lines of a long API call (see job_stream.h).
#include "agent/api/job_stream.h"

#include "agent/api/api.h"
#include "agent/api/log_stream.h"

namespace spacelet::agent::api {
namespace {

std::string line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

JobStream::JobStream(size_t bufferLimit)
    : StreamBody(bufferLimit, heartbeatFor(StreamFormat::kNdjson)) {}

void JobStream::progress(std::string_view text) {
  if (finished()) return;
  append(line({{"progress", text}}));
}

void JobStream::done(const Result<nlohmann::json>& result) {
  if (finished()) return;
  // The error line is the body errorFor() would answer, so clients read one error shape.
  append(result ? line({{"result", *result}}) : errorFor(result.error()).body);
  finish();
}

}  // namespace spacelet::agent::api

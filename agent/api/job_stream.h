// The streamed answer of a long API call (image import, bootstrap, prune): one NDJSON line per
// progress step, {"progress": "..."}, then exactly one last line, {"result": {...}} or the
// usual {"error": {"code", "message"}}, after which the stream ends. A client that hangs up
// does not stop the job; its lines are then dropped.
// Thread-safety: the event loop thread only.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "agent/api/stream_body.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::api {

class JobStream : public StreamBody {
 public:
  explicit JobStream(size_t bufferLimit);

  void progress(std::string_view line);
  // The last line; the stream then ends.
  void done(const Result<nlohmann::json>& result);
};

}  // namespace spacelet::agent::api

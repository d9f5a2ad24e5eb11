// Streamed endpoints: a Space's build or run log, and the event stream (see docs/api.md).
// Both answer newline-delimited JSON, or Server-Sent Events with ?format=sse or
// "Accept: text/event-stream"; with follow=1 they stay open and send as things happen.
#include <filesystem>

#include "agent/api/api.h"
#include "agent/api/event_stream.h"
#include "agent/api/log_stream.h"
#include "agent/store/space_paths.h"

namespace spacelet::agent::api {
namespace {

constexpr int64_t kMaxTail = 1000000;
constexpr size_t kDefaultEventTail = 100;

Response streamed(std::shared_ptr<StreamBody> body, StreamFormat format) {
  Response r;
  r.contentType = format == StreamFormat::kSse ? "text/event-stream" : "application/x-ndjson";
  r.stream = std::move(body);
  return r;
}

}  // namespace

Result<std::optional<StreamFormat>> Api::streamFormat(const Request& request) const {
  auto format = request.queryValue("format");
  if (format) {
    if (*format == "ndjson") return std::optional<StreamFormat>(StreamFormat::kNdjson);
    if (*format == "sse") return std::optional<StreamFormat>(StreamFormat::kSse);
    return failInvalid("query parameter 'format' must be 'ndjson' or 'sse', not '" + *format + "'");
  }
  if (request.accept.find("text/event-stream") != std::string::npos)
    return std::optional<StreamFormat>(StreamFormat::kSse);
  return std::optional<StreamFormat>(StreamFormat::kNdjson);
}

std::optional<Response> Api::tooManyStreams() const {
  uint64_t max = ctx_.config()->api.maxStreams;
  if (!ctx_.activeStreams || ctx_.activeStreams() < max) return std::nullopt;
  Response r = errorResponse(503, "too_many_streams",
                             "the agent already serves " + std::to_string(max) +
                                 " streams (api.max_streams); retry later");
  r.headers.emplace_back("Retry-After", "5");
  return r;
}

Response Api::logs(Request& request, const Params& params) {
  auto space = findSpace(params);
  if (!space) return errorFor(space.error());
  auto kind = request.queryValue("kind").value_or("run");
  if (kind != "run" && kind != "build")
    return errorFor(
        Error::invalid("query parameter 'kind' must be 'build' or 'run', not '" + kind + "'"));
  auto tail = queryInteger(request, "tail", 0, kMaxTail);
  if (!tail) return errorFor(tail.error());
  auto follow = queryBool(request, "follow");
  if (!follow) return errorFor(follow.error());
  auto format = streamFormat(request);
  if (!format) return errorFor(format.error());
  if (auto busy = tooManyStreams()) return *busy;
  store::LogKind logKind = kind == "build" ? store::LogKind::kBuild : store::LogKind::kRun;
  LogStreamOptions options{store::logsDir(ctx_.registry->stateDir(), (*space)->id),
                           store::logFileName(logKind),
                           **format,
                           std::nullopt,
                           follow->value_or(false),
                           ctx_.config()->api.streamBufferBytes};
  if (*tail) options.tail = static_cast<size_t>(**tail);
  // The supervisor keeps logs/<kind>.log as a link to the current deployment's file: stream
  // the file it points at, in the directory its writer appends in (inotify watches that one).
  std::error_code linkError;
  auto target = std::filesystem::canonical(options.dir + "/" + options.file, linkError);
  if (!linkError) {
    options.dir = target.parent_path();
    options.file = target.filename();
  }
  options.bus = &ctx_.registry->bus();
  options.space = (*space)->id.str();
  auto stream = LogStream::open(*ctx_.watcher, std::move(options));
  if (!stream) return errorFor(stream.error());
  return streamed(std::move(*stream), **format);
}

Response Api::events(Request& request, const Params&) {
  auto follow = queryBool(request, "follow");
  if (!follow) return errorFor(follow.error());
  auto since = queryInteger(request, "since", 0, INT64_MAX);
  if (!since) return errorFor(since.error());
  auto tail = queryInteger(request, "tail", 0, kMaxTail);
  if (!tail) return errorFor(tail.error());
  auto format = streamFormat(request);
  if (!format) return errorFor(format.error());
  std::string space = request.queryValue("space").value_or("");
  if (!space.empty()) {
    if (auto id = store::parseSpaceId(space); !id)
      return errorFor(id.error().withContext("query parameter 'space'"));
  }
  if (auto busy = tooManyStreams()) return *busy;
  bool following = follow->value_or(false);
  Result<std::vector<store::Event>> replay = std::vector<store::Event>{};
  if (*since) {
    replay = ctx_.registry->store().eventsAfter(**since, space, static_cast<size_t>(kMaxTail));
  } else {
    size_t count =
        tail->has_value() ? static_cast<size_t>(**tail) : (following ? 0 : kDefaultEventTail);
    if (count > 0) replay = ctx_.registry->store().lastEvents(count, space);
  }
  if (!replay) return errorFor(replay.error());
  auto stream = EventStream::open(ctx_.registry->bus(), *replay, space, **format, following,
                                  ctx_.config()->api.streamBufferBytes);
  return streamed(std::move(stream), **format);
}

}  // namespace spacelet::agent::api

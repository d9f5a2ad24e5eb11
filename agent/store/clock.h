// Wall-clock time as Unix milliseconds (what the database stores) and its RFC 3339 form (what
// the API shows). Injected as a function where tests need a fixed time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace spacelet::agent::store {

using Clock = std::function<int64_t()>;

int64_t nowMs();
// "2026-01-02T03:04:05.678Z"
std::string formatTimestamp(int64_t ms);

}  // namespace spacelet::agent::store

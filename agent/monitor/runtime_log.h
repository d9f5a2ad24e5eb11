// Reading a runtime's own log (runc's `--log FILE --log-format json`): what a failed create,
// start or delete said, for the monitor's state file and the Space's error message. Pure.
#pragma once

#include <string>
#include <string_view>

namespace spacelet::agent::monitor {

// The last "error" message of the JSON log, or its last non-empty line when it is not JSON;
// "" when empty.
std::string lastRuntimeError(std::string_view logText);

}  // namespace spacelet::agent::monitor

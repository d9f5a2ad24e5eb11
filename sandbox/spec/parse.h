// Parsing config.json into spec::Spec. Every error names the offending field by its JSON
// path and says what was expected, e.g.
//   config.json: linux.namespaces[1].type: unknown namespace type 'nett' (expected one of ...)
// Parsing checks types and names; cross-field rules live in validate.h.
#pragma once

#include <string>
#include <string_view>

#include "sandbox/spec/config.h"
#include "sandbox/spec/json_fields.h"
#include "spacelet/base/error.h"

namespace spacelet::sandbox::spec {

// Parses config.json text.
Result<Spec> parseConfig(std::string_view text);
Result<Spec> parseConfigJson(const Json& config);

// Parses a process object; also the file given to `spacelet-run exec --process`.
Result<Process> parseProcess(const Json& process, const std::string& path);

// Parses the `linux` object (namespaces, mappings, devices, resources, seccomp, ...).
Result<Linux> parseLinux(const Json& linux, const std::string& path);

// Parses the `hooks` object.
Result<Hooks> parseHooks(const Json& hooks, const std::string& path);

// Parses one `capabilities` set list (e.g. process.capabilities.bounding) into a mask.
Result<uint64_t> parseCapabilityList(const Json& list, const std::string& path);

}  // namespace spacelet::sandbox::spec

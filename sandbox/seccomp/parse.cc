// parse(): OCI linux.seccomp (JSON) into a Spec, rejecting what compile() could not honour.
// Every error names the JSON path of the bad field and, for names, lists the valid ones.
// Unknown keys are ignored, as runc and crun do, so that extensions of the spec still load.
#include <nlohmann/json.hpp>

#include "sandbox/seccomp/names.h"
#include "sandbox/seccomp/seccomp.h"

namespace spacelet::sandbox::seccomp {
namespace {

using nlohmann::json;

constexpr unsigned kMaxErrno = 4095;      // the kernel clamps SECCOMP_RET_ERRNO data to this
constexpr uint64_t kMaxRetData = 0xffff;  // SECCOMP_RET_DATA: 16 bits
constexpr unsigned kSyscallArgCount = 6;  // seccomp_data.args[6]

std::string member(const std::string& path, std::string_view key) {
  return path + "." + std::string(key);
}
std::string element(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}
Unexpected invalidAt(const std::string& path, const std::string& what) {
  return failInvalid(path + ": " + what);
}
std::string got(const json& j) {
  return std::string("got ") + j.type_name() + " " + j.dump();
}

Result<uint64_t> readUnsigned(const json& j, const std::string& path) {
  if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<int64_t>() >= 0)) {
    return invalidAt(path, "expected a non-negative integer, " + got(j));
  }
  return j.get<uint64_t>();
}

// A name from one of the tables; `kind` is "action", "architecture", ... for the message.
Result<std::string> readName(const json& j, const std::string& path,
                             std::span<const NamedValue> table, std::string_view kind) {
  if (!j.is_string()) return invalidAt(path, "expected a string, " + got(j));
  auto name = j.get<std::string>();
  if (!lookup(table, name)) {
    return invalidAt(
        path, "unknown " + std::string(kind) + " '" + name + "'; valid: " + listNames(table));
  }
  return name;
}

Result<std::vector<std::string>> readNameList(const json& obj, std::string_view key,
                                              const std::string& path,
                                              std::span<const NamedValue> table,
                                              std::string_view kind) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  std::string where = member(path, key);
  if (!it->is_array()) return invalidAt(where, "expected an array of strings, " + got(*it));
  for (size_t i = 0; i < it->size(); ++i) {
    auto name = readName((*it)[i], element(where, i), table, kind);
    if (!name) return fail(std::move(name).error());
    out.push_back(std::move(*name));
  }
  return out;
}

Result<std::optional<unsigned>> readErrnoRet(const json& obj, std::string_view key,
                                             const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<unsigned>();
  auto value = readUnsigned(*it, member(path, key));
  if (!value) return fail(std::move(value).error());
  if (*value > kMaxRetData) {
    return invalidAt(member(path, key), "'" + std::to_string(*value) +
                                            "' does not fit in 16 bits; use a value up to " +
                                            std::to_string(kMaxRetData));
  }
  return std::optional<unsigned>(static_cast<unsigned>(*value));
}

// errnoRet only means something for SCMP_ACT_ERRNO and SCMP_ACT_TRACE; the spec requires an
// error for the others rather than silently ignoring it.
Result<void> checkErrnoFits(const std::string& action, std::optional<unsigned> errnoRet,
                            const std::string& path) {
  if (!errnoRet) return {};
  if (!actionTakesErrno(action)) {
    return invalidAt(path, "action '" + action +
                               "' takes no errno; remove it or use 'SCMP_ACT_ERRNO' or "
                               "'SCMP_ACT_TRACE'");
  }
  if (action == "SCMP_ACT_ERRNO" && *errnoRet > kMaxErrno) {
    return invalidAt(path, "errno '" + std::to_string(*errnoRet) + "' is above the largest errno " +
                               std::to_string(kMaxErrno));
  }
  return {};
}

Result<ArgCondition> parseArg(const json& j, const std::string& path) {
  if (!j.is_object()) return invalidAt(path, "expected an object, " + got(j));
  for (const char* key : {"index", "value", "op"}) {
    if (!j.contains(key)) return invalidAt(member(path, key), "missing (required)");
  }
  ArgCondition arg;
  auto index = readUnsigned(j["index"], member(path, "index"));
  if (!index) return fail(std::move(index).error());
  if (*index >= kSyscallArgCount) {
    return invalidAt(member(path, "index"), "'" + std::to_string(*index) +
                                                "' is out of range; syscalls have arguments 0 to " +
                                                std::to_string(kSyscallArgCount - 1));
  }
  arg.index = static_cast<unsigned>(*index);
  auto value = readUnsigned(j["value"], member(path, "value"));
  if (!value) return fail(std::move(value).error());
  arg.value = *value;
  if (auto it = j.find("valueTwo"); it != j.end() && !it->is_null()) {
    auto two = readUnsigned(*it, member(path, "valueTwo"));
    if (!two) return fail(std::move(two).error());
    arg.valueTwo = *two;
  }
  auto op = readName(j["op"], member(path, "op"), operatorNames(), "operator");
  if (!op) return fail(std::move(op).error());
  arg.op = std::move(*op);
  return arg;
}

Result<std::vector<std::string>> parseSyscallNames(const json& j, const std::string& path) {
  std::string where = member(path, "names");
  auto it = j.find("names");
  if (it == j.end()) return invalidAt(where, "missing (required: at least one syscall name)");
  if (!it->is_array() || it->empty()) {
    return invalidAt(where, "expected a non-empty array of syscall names, " + got(*it));
  }
  std::vector<std::string> names;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& name = (*it)[i];
    if (!name.is_string() || name.get<std::string>().empty()) {
      return invalidAt(element(where, i), "expected a syscall name, " + got(name));
    }
    names.push_back(name.get<std::string>());
  }
  return names;
}

Result<SyscallRule> parseRule(const json& j, const std::string& path) {
  if (!j.is_object()) return invalidAt(path, "expected an object, " + got(j));
  SyscallRule rule;
  auto names = parseSyscallNames(j, path);
  if (!names) return fail(std::move(names).error());
  rule.names = std::move(*names);
  if (!j.contains("action")) return invalidAt(member(path, "action"), "missing (required)");
  auto action = readName(j["action"], member(path, "action"), actionNames(), "action");
  if (!action) return fail(std::move(action).error());
  rule.action = std::move(*action);
  auto errnoRet = readErrnoRet(j, "errnoRet", path);
  if (!errnoRet) return fail(std::move(errnoRet).error());
  rule.errnoRet = *errnoRet;
  SPACELET_TRY(checkErrnoFits(rule.action, rule.errnoRet, member(path, "errnoRet")));
  auto args = j.find("args");
  if (args == j.end() || args->is_null()) return rule;
  if (!args->is_array()) return invalidAt(member(path, "args"), "expected an array, " + got(*args));
  for (size_t i = 0; i < args->size(); ++i) {
    auto arg = parseArg((*args)[i], element(member(path, "args"), i));
    if (!arg) return fail(std::move(arg).error());
    rule.args.push_back(std::move(*arg));
  }
  return rule;
}

Result<std::string> readOptionalString(const json& j, std::string_view key,
                                       const std::string& path) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::string();
  if (!it->is_string()) return invalidAt(member(path, key), "expected a string, " + got(*it));
  return it->get<std::string>();
}

Result<void> parseHead(const json& j, const std::string& path, Spec& spec) {
  if (!j.contains("defaultAction")) {
    return invalidAt(member(path, "defaultAction"), "missing (required), e.g. 'SCMP_ACT_ERRNO'");
  }
  auto action =
      readName(j["defaultAction"], member(path, "defaultAction"), actionNames(), "action");
  if (!action) return fail(std::move(action).error());
  spec.defaultAction = std::move(*action);
  auto errnoRet = readErrnoRet(j, "defaultErrnoRet", path);
  if (!errnoRet) return fail(std::move(errnoRet).error());
  spec.defaultErrnoRet = *errnoRet;
  SPACELET_TRY(
      checkErrnoFits(spec.defaultAction, spec.defaultErrnoRet, member(path, "defaultErrnoRet")));
  auto arches = readNameList(j, "architectures", path, architectureNames(), "architecture");
  if (!arches) return fail(std::move(arches).error());
  spec.architectures = std::move(*arches);
  auto flags = readNameList(j, "flags", path, flagNames(), "flag");
  if (!flags) return fail(std::move(flags).error());
  spec.flags = std::move(*flags);
  auto listener = readOptionalString(j, "listenerPath", path);
  if (!listener) return fail(std::move(listener).error());
  spec.listenerPath = std::move(*listener);
  auto metadata = readOptionalString(j, "listenerMetadata", path);
  if (!metadata) return fail(std::move(metadata).error());
  spec.listenerMetadata = std::move(*metadata);
  return {};
}

Result<void> parseRules(const json& j, const std::string& path, Spec& spec) {
  auto it = j.find("syscalls");
  if (it == j.end() || it->is_null()) return {};
  std::string where = member(path, "syscalls");
  if (!it->is_array()) return invalidAt(where, "expected an array, " + got(*it));
  for (size_t i = 0; i < it->size(); ++i) {
    auto rule = parseRule((*it)[i], element(where, i));
    if (!rule) return fail(std::move(rule).error());
    spec.syscalls.push_back(std::move(*rule));
  }
  return {};
}

// SCMP_ACT_NOTIFY hands a listener fd to an agent at listenerPath; without one nobody would
// answer and the container would hang in its first notified syscall.
Result<void> checkNotify(const Spec& spec, const std::string& path) {
  if (spec.defaultAction == "SCMP_ACT_NOTIFY") {
    return invalidAt(member(path, "defaultAction"),
                     "'SCMP_ACT_NOTIFY' cannot be the default action: the runtime's own "
                     "syscalls after loading the filter would wait for the agent; list the "
                     "syscalls to notify in syscalls[] instead");
  }
  bool notifies = false;
  for (const auto& rule : spec.syscalls) notifies |= rule.action == "SCMP_ACT_NOTIFY";
  if (notifies && spec.listenerPath.empty()) {
    return invalidAt(member(path, "listenerPath"),
                     "required when a rule uses 'SCMP_ACT_NOTIFY': set it to the Unix socket "
                     "of the seccomp agent");
  }
  if (!spec.listenerMetadata.empty() && spec.listenerPath.empty()) {
    return invalidAt(member(path, "listenerMetadata"), "set without 'listenerPath'");
  }
  return {};
}

}  // namespace

Result<Spec> parse(const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) return invalidAt(path, "expected an object, " + got(j));
  Spec spec;
  SPACELET_TRY(parseHead(j, path, spec));
  SPACELET_TRY(parseRules(j, path, spec));
  SPACELET_TRY(checkNotify(spec, path));
  return spec;
}

}  // namespace spacelet::sandbox::seccomp

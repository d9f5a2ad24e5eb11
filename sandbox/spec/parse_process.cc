// config.json `process`: args, env, cwd, user, capabilities, rlimits, terminal, and the
// flags applied to the container's first process (also `exec --process FILE`).
#include <algorithm>

#include "sandbox/spec/names.h"
#include "sandbox/spec/parse.h"

namespace spacelet::sandbox::spec {
namespace {

// Capability names known to this build but above the running kernel's last capability
// are dropped when applied, not here: parsing stays independent of the host.
std::string knownCapabilities() {
  return "CAP_CHOWN, CAP_NET_BIND_SERVICE, ... CAP_CHECKPOINT_RESTORE (see capabilities(7))";
}

Result<User> parseUser(const Json& j, const std::string& path) {
  SPACELET_TRY(requireObject(j, path));
  User user;
  SPACELET_TRY(readField(j, "uid", path, asUint32, user.uid));
  SPACELET_TRY(readField(j, "gid", path, asUint32, user.gid));
  if (const Json* m = member(j, "umask")) {
    auto umask = asUint32(*m, fieldPath(path, "umask"));
    if (!umask) return fail(std::move(umask).error());
    if (*umask > 0777) {
      return failInvalid(fieldPath(path, "umask") + ": '" + std::to_string(*umask) +
                         "' is not a file mode mask (use a value up to 0777, e.g. 18 for 022)");
    }
    user.umask = static_cast<mode_t>(*umask);
  }
  if (const Json* g = member(j, "additionalGids")) {
    std::string gpath = fieldPath(path, "additionalGids");
    SPACELET_TRY(requireArray(*g, gpath));
    for (size_t i = 0; i < g->size(); ++i) {
      auto gid = asUint32((*g)[i], indexPath(gpath, i));
      if (!gid) return fail(std::move(gid).error());
      user.additionalGids.push_back(*gid);
    }
  }
  if (member(j, "username") != nullptr) {
    return failInvalid(fieldPath(path, "username") + ": only for Windows; use uid and gid");
  }
  return user;
}

Result<Capabilities> parseCapabilities(const Json& j, const std::string& path) {
  SPACELET_TRY(requireObject(j, path));
  Capabilities caps;
  SPACELET_TRY(readField(j, "bounding", path, parseCapabilityList, caps.bounding));
  SPACELET_TRY(readField(j, "effective", path, parseCapabilityList, caps.effective));
  SPACELET_TRY(readField(j, "inheritable", path, parseCapabilityList, caps.inheritable));
  SPACELET_TRY(readField(j, "permitted", path, parseCapabilityList, caps.permitted));
  SPACELET_TRY(readField(j, "ambient", path, parseCapabilityList, caps.ambient));
  return caps;
}

Result<Rlimit> parseRlimit(const Json& j, const std::string& path) {
  SPACELET_TRY(requireObject(j, path));
  Rlimit limit;
  if (member(j, "type") == nullptr)
    return failInvalid(path + ".type: missing (e.g. RLIMIT_NOFILE)");
  SPACELET_TRY(readField(j, "type", path, asString, limit.type));
  auto resource = rlimitFromName(limit.type);
  if (!resource) {
    return failInvalid(fieldPath(path, "type") + ": unknown rlimit '" + limit.type +
                       "' (expected one of RLIMIT_NOFILE, RLIMIT_NPROC, ... see getrlimit(2))");
  }
  limit.resource = *resource;
  if (member(j, "soft") == nullptr || member(j, "hard") == nullptr) {
    return failInvalid(path + ": both 'soft' and 'hard' are required");
  }
  SPACELET_TRY(readField(j, "soft", path, asUint64, limit.soft));
  SPACELET_TRY(readField(j, "hard", path, asUint64, limit.hard));
  if (limit.soft > limit.hard) {
    return failInvalid(path + ": soft limit " + std::to_string(limit.soft) +
                       " is above the hard limit " + std::to_string(limit.hard));
  }
  return limit;
}

Result<std::vector<Rlimit>> parseRlimits(const Json& j, const std::string& path) {
  SPACELET_TRY(requireArray(j, path));
  std::vector<Rlimit> limits;
  for (size_t i = 0; i < j.size(); ++i) {
    auto limit = parseRlimit(j[i], indexPath(path, i));
    if (!limit) return fail(std::move(limit).error());
    bool duplicate = std::any_of(limits.begin(), limits.end(),
                                 [&](const Rlimit& l) { return l.resource == limit->resource; });
    if (duplicate) {
      return failInvalid(indexPath(path, i) + ": '" + limit->type + "' is set twice; keep one");
    }
    limits.push_back(std::move(*limit));
  }
  return limits;
}

Result<ConsoleSize> parseConsoleSize(const Json& j, const std::string& path) {
  SPACELET_TRY(requireObject(j, path));
  uint32_t height = 0, width = 0;
  SPACELET_TRY(readField(j, "height", path, asUint32, height));
  SPACELET_TRY(readField(j, "width", path, asUint32, width));
  if (height > 0xffff || width > 0xffff) {
    return failInvalid(path + ": height and width must be at most 65535");
  }
  return ConsoleSize{static_cast<unsigned short>(height), static_cast<unsigned short>(width)};
}

Result<int> parseOomScoreAdj(const Json& j, const std::string& path) {
  auto value = asInt64(j, path);
  if (!value) return fail(std::move(value).error());
  if (*value < -1000 || *value > 1000) {
    return failInvalid(path + ": '" + std::to_string(*value) + "' is outside -1000..1000");
  }
  return static_cast<int>(*value);
}

Result<void> rejectUnsupported(const Json& j, const std::string& path) {
  for (const char* key : {"ioPriority", "scheduler", "execCPUAffinity", "commandLine"}) {
    if (member(j, key) != nullptr) {
      return failInvalid(fieldPath(path, key) + ": not supported by spacelet-run; remove it");
    }
  }
  return {};
}

}  // namespace

Result<uint64_t> parseCapabilityList(const Json& j, const std::string& path) {
  SPACELET_TRY(requireArray(j, path));
  uint64_t mask = 0;
  for (size_t i = 0; i < j.size(); ++i) {
    auto name = asString(j[i], indexPath(path, i));
    if (!name) return fail(std::move(name).error());
    auto cap = capabilityFromName(*name);
    if (!cap) {
      return failInvalid(indexPath(path, i) + ": unknown capability '" + *name +
                         "' (expected one of " + knownCapabilities() + ")");
    }
    mask |= uint64_t{1} << *cap;
  }
  return mask;
}

Result<Process> parseProcess(const Json& j, const std::string& path) {
  SPACELET_TRY(requireObject(j, path));
  Process p;
  SPACELET_TRY(readField(j, "terminal", path, asBool, p.terminal));
  SPACELET_TRY(readField(j, "consoleSize", path, parseConsoleSize, p.consoleSize));
  SPACELET_TRY(readField(j, "user", path, parseUser, p.user));
  SPACELET_TRY(readField(j, "args", path, asStringArray, p.args));
  SPACELET_TRY(readField(j, "env", path, asStringArray, p.env));
  SPACELET_TRY(readField(j, "cwd", path, asString, p.cwd));
  SPACELET_TRY(readField(j, "capabilities", path, parseCapabilities, p.capabilities));
  SPACELET_TRY(readField(j, "rlimits", path, parseRlimits, p.rlimits));
  SPACELET_TRY(readField(j, "noNewPrivileges", path, asBool, p.noNewPrivileges));
  SPACELET_TRY(readField(j, "oomScoreAdj", path, parseOomScoreAdj, p.oomScoreAdj));
  SPACELET_TRY(readField(j, "apparmorProfile", path, asString, p.apparmorProfile));
  SPACELET_TRY(readField(j, "selinuxLabel", path, asString, p.selinuxLabel));
  SPACELET_TRY(rejectUnsupported(j, path));
  return p;
}

}  // namespace spacelet::sandbox::spec

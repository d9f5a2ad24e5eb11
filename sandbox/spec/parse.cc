// config.json top level: ociVersion, root, hostname, mounts, hooks, annotations; the
// process and linux objects are parsed in parse_process.cc and parse_linux.cc.
#include "sandbox/spec/parse.h"

namespace spacelet::sandbox::spec {
namespace {

Result<Root> parseRoot(const Json& j, const std::string& path) {
  SPACELET_TRY(requireObject(j, path));
  Root root;
  const Json* p = member(j, "path");
  if (p == nullptr) return failInvalid(path + ".path: missing (name the rootfs directory)");
  SPACELET_TRY(readField(j, "path", path, asString, root.path));
  SPACELET_TRY(readField(j, "readonly", path, asBool, root.readonly));
  return root;
}

Result<Mount> parseMount(const Json& j, const std::string& path) {
  SPACELET_TRY(requireObject(j, path));
  Mount mount;
  if (member(j, "destination") == nullptr) {
    return failInvalid(path + ".destination: missing (where in the container to mount)");
  }
  SPACELET_TRY(readField(j, "destination", path, asString, mount.destination));
  SPACELET_TRY(readField(j, "source", path, asString, mount.source));
  SPACELET_TRY(readField(j, "type", path, asString, mount.type));
  SPACELET_TRY(readField(j, "options", path, asStringArray, mount.options));
  if (member(j, "uidMappings") != nullptr || member(j, "gidMappings") != nullptr) {
    return failInvalid(path +
                       ": idmapped mounts (uidMappings/gidMappings) are not supported by "
                       "spacelet-run; remove them");
  }
  return mount;
}

Result<std::vector<Mount>> parseMounts(const Json& j, const std::string& path) {
  SPACELET_TRY(requireArray(j, path));
  std::vector<Mount> mounts;
  for (size_t i = 0; i < j.size(); ++i) {
    auto mount = parseMount(j[i], indexPath(path, i));
    if (!mount) return fail(std::move(mount).error());
    mounts.push_back(std::move(*mount));
  }
  return mounts;
}

Result<Hook> parseHook(const Json& j, const std::string& path) {
  SPACELET_TRY(requireObject(j, path));
  Hook hook;
  if (member(j, "path") == nullptr) return failInvalid(path + ".path: missing (the hook program)");
  SPACELET_TRY(readField(j, "path", path, asString, hook.path));
  SPACELET_TRY(readField(j, "args", path, asStringArray, hook.args));
  SPACELET_TRY(readField(j, "env", path, asStringArray, hook.env));
  if (const Json* t = member(j, "timeout")) {
    auto timeout = asInt64(*t, fieldPath(path, "timeout"));
    if (!timeout) return fail(std::move(timeout).error());
    if (*timeout <= 0) {
      return failInvalid(fieldPath(path, "timeout") +
                         ": must be a positive number of seconds, "
                         "got '" +
                         std::to_string(*timeout) + "'");
    }
    hook.timeoutSeconds = static_cast<int>(*timeout);
  }
  return hook;
}

Result<std::vector<Hook>> parseHookList(const Json& j, const std::string& path) {
  SPACELET_TRY(requireArray(j, path));
  std::vector<Hook> hooks;
  for (size_t i = 0; i < j.size(); ++i) {
    auto hook = parseHook(j[i], indexPath(path, i));
    if (!hook) return fail(std::move(hook).error());
    hooks.push_back(std::move(*hook));
  }
  return hooks;
}

}  // namespace

Result<Hooks> parseHooks(const Json& j, const std::string& path) {
  SPACELET_TRY(requireObject(j, path));
  Hooks hooks;
  SPACELET_TRY(readField(j, "prestart", path, parseHookList, hooks.prestart));
  SPACELET_TRY(readField(j, "createRuntime", path, parseHookList, hooks.createRuntime));
  SPACELET_TRY(readField(j, "createContainer", path, parseHookList, hooks.createContainer));
  SPACELET_TRY(readField(j, "startContainer", path, parseHookList, hooks.startContainer));
  SPACELET_TRY(readField(j, "poststart", path, parseHookList, hooks.poststart));
  SPACELET_TRY(readField(j, "poststop", path, parseHookList, hooks.poststop));
  return hooks;
}

Result<Spec> parseConfigJson(const Json& j) {
  SPACELET_TRY(requireObject(j, ""));
  Spec spec;
  if (member(j, "ociVersion") == nullptr) {
    return failInvalid("ociVersion: missing (set it to \"1.1.0\")");
  }
  SPACELET_TRY(readField(j, "ociVersion", "", asString, spec.ociVersion));
  if (member(j, "root") == nullptr) return failInvalid("root: missing (name the rootfs directory)");
  SPACELET_TRY(readField(j, "root", "", parseRoot, spec.root));
  SPACELET_TRY(readField(j, "process", "", parseProcess, spec.process));
  SPACELET_TRY(readField(j, "hostname", "", asString, spec.hostname));
  SPACELET_TRY(readField(j, "domainname", "", asString, spec.domainname));
  SPACELET_TRY(readField(j, "mounts", "", parseMounts, spec.mounts));
  SPACELET_TRY(readField(j, "hooks", "", parseHooks, spec.hooks));
  SPACELET_TRY(readField(j, "annotations", "", asStringMap, spec.annotations));
  SPACELET_TRY(readField(j, "linux", "", parseLinux, spec.linux));
  return spec;
}

Result<Spec> parseConfig(std::string_view text) {
  auto json = parseJson(text, "config.json");
  if (!json) return fail(std::move(json).error());
  auto spec = parseConfigJson(*json);
  if (!spec) return fail(std::move(spec).error().withContext("config.json"));
  return spec;
}

bool Spec::hasNamespace(NamespaceType type) const {
  return findNamespace(type) != nullptr;
}

const Namespace* Spec::findNamespace(NamespaceType type) const {
  for (const auto& ns : linux.namespaces) {
    if (ns.type == type) return &ns;
  }
  return nullptr;
}

}  // namespace spacelet::sandbox::spec

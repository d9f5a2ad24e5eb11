// Cross-field rules of config.json that parsing alone cannot check: a user namespace needs
// id mappings, a hostname needs a UTS namespace, sysctls must belong to a namespace the
// container owns, paths must be absolute, ambient capabilities must be permitted, ...
// Pure: no filesystem or kernel access, so unit tests cover every rule.
#pragma once

#include "sandbox/spec/config.h"
#include "spacelet/base/error.h"

namespace spacelet::sandbox::spec {

// Checks a spec for `create`/`run`. Errors name the field by its JSON path.
Result<void> validate(const Spec& spec);

// Checks a process object (config.json's, or one given to `exec`) against the container's
// spec (mappings for the user, a terminal's needs). `path` prefixes error locations.
Result<void> validateProcess(const Process& process, const Spec& spec, const std::string& path);

// Which kernel namespace a sysctl key belongs to; nullopt when it is not namespaced and so
// may not be set from a container.
std::optional<NamespaceType> sysctlNamespace(const std::string& key);

// True when `id` is mapped by one of `mappings` (container side).
bool isMapped(const std::vector<IdMapping>& mappings, uint32_t id);

}  // namespace spacelet::sandbox::spec

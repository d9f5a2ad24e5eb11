// The name tables of config.json: capabilities, rlimits, namespace types and personality
// domains, mapped to the kernel's numbers. Shared by parsing, `spacelet-run features` and
// the messages that list what is accepted.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/spec/config.h"

namespace spacelet::sandbox::spec {

// "CAP_SYS_ADMIN" -> 21. Names this build does not know give nullopt.
std::optional<int> capabilityFromName(std::string_view name);
std::string_view capabilityName(int cap);  // empty when unknown
std::vector<std::string> allCapabilityNames();
int lastCapability();  // the highest capability number this build knows

// "RLIMIT_NOFILE" -> RLIMIT_NOFILE.
std::optional<int> rlimitFromName(std::string_view name);
std::vector<std::string> allRlimitNames();

// "network" -> NamespaceType::kNetwork, and back; the clone flag of each type.
std::optional<NamespaceType> namespaceFromName(std::string_view name);
std::string_view namespaceName(NamespaceType type);
int namespaceCloneFlag(NamespaceType type);
// The /proc/<pid>/ns/<name> entry of a type ("net" for kNetwork).
std::string_view namespaceProcName(NamespaceType type);
const std::vector<NamespaceType>& allNamespaceTypes();

// linux.personality.domain: "LINUX" or "LINUX32".
std::optional<unsigned long> personalityFromDomain(std::string_view domain);

}  // namespace spacelet::sandbox::spec

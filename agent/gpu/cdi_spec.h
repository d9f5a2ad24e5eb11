// The Container Device Interface (CDI) spec as plain values, and its parser: a spec file's
// JSON (YAML files are converted first, see yaml_json.h) validated field by field against the
// cdiVersion it declares. Errors name the field as a path ("devices[1].containerEdits.mounts[0]
// .hostPath: ...") so the registry can report file and field. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "spacelet/base/error.h"

namespace spacelet::agent::gpu::cdi {

struct DeviceNode {
  std::string path;      // in the container
  std::string hostPath;  // empty: same as path (cdiVersion >= 0.5.0)
  std::string type;      // "c", "b", "u", "p" or empty (taken from the host)
  std::optional<int64_t> major;
  std::optional<int64_t> minor;
  std::optional<uint32_t> fileMode;
  std::string permissions;  // cgroup access: some of "rwm"; empty means "rwm"
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
};

struct Mount {
  std::string hostPath;
  std::string containerPath;
  std::string type;  // cdiVersion >= 0.4.0
  std::vector<std::string> options;
};

struct Hook {
  std::string hookName;  // prestart, createRuntime, createContainer, startContainer, poststart,
                         // poststop
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int64_t> timeout;
};

struct NetDevice {  // cdiVersion >= 1.1.0
  std::string hostInterfaceName;
  std::string name;
};

struct ContainerEdits {
  std::vector<std::string> env;
  std::vector<DeviceNode> deviceNodes;
  std::vector<Mount> mounts;
  std::vector<Hook> hooks;
  std::vector<uint32_t> additionalGids;    // cdiVersion >= 0.7.0
  std::optional<nlohmann::json> intelRdt;  // validated object, copied to linux.intelRdt
  std::vector<NetDevice> netDevices;       // cdiVersion >= 1.1.0

  bool empty() const;
  // Appends `other` (CDI's ContainerEdits.Append: lists concatenate, intelRdt is replaced).
  void append(const ContainerEdits& other);
};

struct Device {
  std::string name;                                // "0", "GPU-8f6d...", "all"
  std::map<std::string, std::string> annotations;  // cdiVersion >= 0.6.0
  ContainerEdits edits;
};

struct Spec {
  std::string version;  // cdiVersion as written
  std::string kind;     // "vendor/class"
  std::string vendor;
  std::string className;
  std::map<std::string, std::string> annotations;
  std::vector<Device> devices;
  ContainerEdits edits;  // applied once when any device of this spec is granted
};

// The cdiVersion values this parser accepts, oldest first, and the current one.
const std::vector<std::string>& supportedVersions();
inline constexpr const char* kCurrentVersion = "1.1.0";

// Parses and validates one spec. Fails on the first problem, naming its field.
Result<Spec> parseSpec(const nlohmann::json& j);

// "vendor/class=name" → its three parts; errors say which part is wrong.
struct QualifiedName {
  std::string vendor;
  std::string className;
  std::string name;
  std::string kind() const { return vendor + "/" + className; }
  std::string str() const { return kind() + "=" + name; }
};
Result<QualifiedName> parseQualifiedName(const std::string& text);

// Name rules of the CDI spec: vendor and class start with a letter, end with a letter or
// digit, and hold letters, digits, '-', '_' and '.'; device names may also start with a digit
// and hold ':'. Return an empty string when valid, else why not.
std::string vendorOrClassProblem(const std::string& name);
std::string deviceNameProblem(const std::string& name);

}  // namespace spacelet::agent::gpu::cdi

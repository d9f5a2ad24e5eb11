// The CDI registry: every spec in the configured spec directories, read once into plain
// values. A spec that does not parse or validate is reported (file and field) and skipped; it
// never stops the others from loading. Devices defined in a later directory override the same
// qualified name from an earlier one (/var/run/cdi over /etc/cdi, as the CDI cache does);
// the same name twice within one directory is a conflict and neither definition is used.
//
// Ownership and thread-safety: a Registry is an immutable value once loaded. The agent loads
// one at start and on reload, and may share it read-only across threads (const methods only).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "agent/gpu/cdi_spec.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::gpu::cdi {

struct RegistryOptions {
  std::vector<std::string> dirs = {"/etc/cdi", "/var/run/cdi"};  // lowest priority first
  size_t maxSpecBytes = 16 << 20;  // a spec file larger than this is reported and skipped
};

struct SpecProblem {
  std::string file;
  std::string message;  // starts with the field path, e.g. "devices[0].name: ..."
};

struct LoadedSpec {
  std::string file;
  size_t priority = 0;  // index of its directory in RegistryOptions::dirs
  Spec spec;
};

class Registry {
 public:
  struct Entry {
    const LoadedSpec* spec;
    const Device* device;
  };

  // The device with this qualified name ("nvidia.com/gpu=0"), or nullopt.
  std::optional<Entry> find(const std::string& qualifiedName) const;
  // Every usable qualified name, sorted.
  std::vector<std::string> deviceNames() const;
  const std::vector<LoadedSpec>& specs() const { return specs_; }
  const std::vector<SpecProblem>& problems() const { return problems_; }

 private:
  friend Registry loadRegistry(const RegistryOptions& options);
  friend Registry makeRegistry(std::vector<LoadedSpec> specs, std::vector<SpecProblem> problems);
  void index();

  std::vector<LoadedSpec> specs_;
  std::vector<SpecProblem> problems_;
  std::map<std::string, std::pair<size_t, size_t>> devices_;  // name → (spec, device) index
};

// Reads every *.json, *.yaml and *.yml file in options.dirs (a missing directory is fine).
Registry loadRegistry(const RegistryOptions& options);

// A registry from specs already in memory (the generator's output, tests); the same
// priority and conflict rules apply.
Registry makeRegistry(std::vector<LoadedSpec> specs, std::vector<SpecProblem> problems = {});

// Reads and parses one spec file, JSON or YAML by its extension.
Result<Spec> loadSpecFile(const std::string& path, size_t maxBytes);

}  // namespace spacelet::agent::gpu::cdi

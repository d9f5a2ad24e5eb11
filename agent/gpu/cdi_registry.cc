// loadRegistry(): lists the spec directories, parses each spec file (JSON directly, YAML via
// yaml_json.h), keeps the good ones and reports the rest, then indexes devices by qualified
// name with CDI's priority and conflict rules.
#include "agent/gpu/cdi_registry.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "agent/gpu/yaml_json.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::gpu::cdi {
namespace {

bool endsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool isSpecFileName(const std::string& name) {
  return endsWith(name, ".json") || endsWith(name, ".yaml") || endsWith(name, ".yml");
}

// The spec files of one directory, sorted; a missing directory has none.
Result<std::vector<std::string>> listSpecFiles(const std::string& dir) {
  std::vector<std::string> files;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return files;
    return failErrno(errno, "open CDI spec directory '" + dir + "'");
  }
  while (struct dirent* entry = ::readdir(d)) {
    std::string name = entry->d_name;
    if (isSpecFileName(name)) files.push_back(dir + "/" + name);
  }
  ::closedir(d);
  std::sort(files.begin(), files.end());
  return files;
}

Result<std::string> readBounded(const std::string& path, size_t maxBytes) {
  auto fd = openAt(AT_FDCWD, path, O_RDONLY);
  if (!fd) return fail(std::move(fd).error());
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return failErrno(errno, "stat '" + path + "'");
  if (!S_ISREG(st.st_mode)) return failInvalid("'" + path + "' is not a regular file");
  if (static_cast<size_t>(st.st_size) > maxBytes) {
    return failInvalid("'" + path + "' is " + std::to_string(st.st_size) +
                       " bytes, above the limit of " + std::to_string(maxBytes) + " bytes");
  }
  return readAll(fd->get());
}

Result<nlohmann::json> parseDocument(const std::string& path, const std::string& text) {
  if (!endsWith(path, ".json")) return yamlToJson(text);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return failInvalid(std::string("JSON: ") + e.what());
  }
}

}  // namespace

Result<Spec> loadSpecFile(const std::string& path, size_t maxBytes) {
  auto text = readBounded(path, maxBytes);
  if (!text) return fail(std::move(text).error());
  auto doc = parseDocument(path, *text);
  if (!doc) return fail(std::move(doc).error());
  return parseSpec(*doc);
}

Registry loadRegistry(const RegistryOptions& options) {
  std::vector<LoadedSpec> specs;
  std::vector<SpecProblem> problems;
  for (size_t priority = 0; priority < options.dirs.size(); ++priority) {
    auto files = listSpecFiles(options.dirs[priority]);
    if (!files) {
      problems.push_back({options.dirs[priority], files.error().message});
      continue;
    }
    for (const auto& file : *files) {
      auto spec = loadSpecFile(file, options.maxSpecBytes);
      if (spec) {
        specs.push_back({file, priority, std::move(*spec)});
      } else {
        problems.push_back({file, spec.error().message});
      }
    }
  }
  return makeRegistry(std::move(specs), std::move(problems));
}

Registry makeRegistry(std::vector<LoadedSpec> specs, std::vector<SpecProblem> problems) {
  Registry registry;
  registry.specs_ = std::move(specs);
  registry.problems_ = std::move(problems);
  registry.index();
  return registry;
}

void Registry::index() {
  std::set<std::string> conflicted;
  for (size_t s = 0; s < specs_.size(); ++s) {
    for (size_t d = 0; d < specs_[s].spec.devices.size(); ++d) {
      std::string name = specs_[s].spec.kind + "=" + specs_[s].spec.devices[d].name;
      auto it = devices_.find(name);
      if (it == devices_.end() || specs_[it->second.first].priority < specs_[s].priority) {
        devices_[name] = {s, d};
        conflicted.erase(name);
        continue;
      }
      if (specs_[it->second.first].priority > specs_[s].priority) continue;
      problems_.push_back({specs_[s].file, "devices[" + std::to_string(d) + "].name: '" + name +
                                               "' is also defined in '" +
                                               specs_[it->second.first].file +
                                               "'; neither definition is used until one goes"});
      conflicted.insert(name);
    }
  }
  for (const auto& name : conflicted) devices_.erase(name);
}

std::optional<Registry::Entry> Registry::find(const std::string& qualifiedName) const {
  auto it = devices_.find(qualifiedName);
  if (it == devices_.end()) return std::nullopt;
  const LoadedSpec& spec = specs_[it->second.first];
  return Entry{&spec, &spec.spec.devices[it->second.second]};
}

std::vector<std::string> Registry::deviceNames() const {
  std::vector<std::string> names;
  for (const auto& [name, where] : devices_) names.push_back(name);
  return names;
}

}  // namespace spacelet::agent::gpu::cdi

// discover(): one step per source (device nodes, /proc/devices, /proc/driver/nvidia, the
// ld.so.cache, binary dirs). Library paths from the cache are resolved inside libRoot with
// openat2(RESOLVE_IN_ROOT), so a fake root's absolute symlinks stay inside it.
#include "agent/gpu/discovery.h"

#include <dirent.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <set>
#include <sstream>

#include "agent/gpu/ldcache.h"
#include "spacelet/base/file_io.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::agent::gpu {
namespace {

std::vector<std::string> listDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end(), naturalLess);
  return names;
}

std::optional<DiscoveredNode> charNode(const std::string& hostPath, const std::string& path) {
  struct stat st {};
  if (::stat(hostPath.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) return std::nullopt;
  return DiscoveredNode{path, hostPath, "c", major(st.st_rdev), minor(st.st_rdev), true};
}

bool isGpuNodeName(const std::string& name) {
  return name.size() > 6 && name.starts_with("nvidia") &&
         name.find_first_not_of("0123456789", 6) == std::string::npos;
}

void findGpuNodes(const DiscoveryOptions& options, Discovery& out) {
  for (const auto& name : listDir(options.devDir)) {
    if (!isGpuNodeName(name)) continue;
    auto node = charNode(options.devDir + "/" + name, "/dev/" + name);
    if (node)
      out.gpus.push_back(*node);
    else
      out.warnings.push_back("'" + options.devDir + "/" + name + "' is not a character device");
  }
}

// nvidia-uvm's major is dynamic: a node left from an earlier module load points nowhere.
void checkMajor(const DiscoveredNode& node, const std::map<std::string, int64_t>& majors,
                const std::string& driver, Discovery& out) {
  auto it = majors.find(driver);
  if (it != majors.end() && it->second != node.major) {
    out.warnings.push_back("'" + node.hostPath + "' has major " + std::to_string(node.major) +
                           " but /proc/devices says " + driver + " is " +
                           std::to_string(it->second) + "; recreate the node (nvidia-modprobe)");
  }
}

void findControlNodes(const DiscoveryOptions& options, const std::map<std::string, int64_t>& majors,
                      Discovery& out) {
  struct Known {
    const char* name;
    const char* driver;
    int64_t minor;
  };
  for (const Known& k :
       {Known{"nvidiactl", "", 255}, Known{"nvidia-uvm", "nvidia-uvm", 0},
        Known{"nvidia-uvm-tools", "nvidia-uvm", 1}, Known{"nvidia-modeset", "", 254}}) {
    auto node = charNode(options.devDir + "/" + k.name, std::string("/dev/") + k.name);
    if (node) {
      if (*k.driver) checkMajor(*node, majors, k.driver, out);
      out.controlNodes.push_back(*node);
    } else if (*k.driver && majors.count(k.driver)) {
      // Loaded but not yet created (udev does not make uvm nodes): the runtime creates it.
      out.controlNodes.push_back({std::string("/dev/") + k.name, options.devDir + "/" + k.name, "c",
                                  majors.at(k.driver), k.minor, false});
    }
  }
  for (const auto& name : listDir(options.devDir + "/nvidia-caps")) {
    auto node = charNode(options.devDir + "/nvidia-caps/" + name, "/dev/nvidia-caps/" + name);
    if (!node) continue;
    checkMajor(*node, majors, "nvidia-caps", out);
    out.controlNodes.push_back(*node);
  }
}

void findHostGpus(const DiscoveryOptions& options, Discovery& out) {
  std::string dir = options.procDir + "/driver/nvidia/gpus";
  for (const auto& bus : listDir(dir)) {
    auto text = readFileAt(AT_FDCWD, dir + "/" + bus + "/information");
    if (!text) continue;
    HostGpu gpu = parseGpuInformation(*text);
    if (gpu.busId.empty()) gpu.busId = bus;
    if (gpu.minor >= 0) out.hostGpus["/dev/nvidia" + std::to_string(gpu.minor)] = gpu;
  }
  if (auto version = readFileAt(AT_FDCWD, options.procDir + "/driver/nvidia/version")) {
    out.driverVersion = parseDriverVersion(*version);
  }
}

// The host path `path` (absolute, as in the cache) resolves to, inside `root`.
Result<std::string> resolveInRoot(int rootFd, const std::string& path) {
  struct open_how how {};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT;  // COMPAT(linux<5.6): openat2 is required
  size_t start = path.find_first_not_of('/');
  if (start == std::string::npos) return failInvalid("'" + path + "' is not a file path");
  std::string rel = path.substr(start);
  UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, rootFd, rel.c_str(), &how, sizeof how)));
  if (!fd) return failErrno(errno, "open '" + path + "'");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return failInvalid("'" + path + "' is not a regular file");
  }
  char target[4096];
  std::string link = "/proc/self/fd/" + std::to_string(fd.get());
  ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  if (n < 0) return failErrno(errno, "resolve '" + path + "'");
  return std::string(target, static_cast<size_t>(n));
}

bool wanted(const std::vector<std::string>& bases, const std::string& soname) {
  return std::any_of(bases.begin(), bases.end(), [&](const std::string& base) {
    return soname.size() > base.size() + 1 && soname.starts_with(base + ".");
  });
}

void findLibraries(const DiscoveryOptions& options, Discovery& out) {
  auto cache = readLdCache(options.ldCachePath);
  if (!cache) {
    out.warnings.push_back("no driver libraries: " + cache.error().message);
    return;
  }
  UniqueFd root(::open(options.libRoot.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) {
    out.warnings.push_back("no driver libraries: cannot open '" + options.libRoot +
                           "': " + std::strerror(errno));
    return;
  }
  std::set<std::string> seen;
  for (const auto& entry : *cache) {
    if (!isNativeLibrary(entry.flags) || !wanted(options.libraries, entry.soname)) continue;
    if (!seen.insert(entry.soname).second) continue;  // the first entry is what ld.so loads
    auto host = resolveInRoot(root.get(), entry.path);
    if (!host) {
      out.warnings.push_back("skipped " + entry.soname + ": " + host.error().message);
      continue;
    }
    out.libraries.push_back({entry.path, *host});
  }
}

void findBinaries(const DiscoveryOptions& options, Discovery& out) {
  for (const auto& name : options.binaries) {
    for (const auto& dir : options.binDirs) {
      char real[PATH_MAX];
      std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) != 0 ||
          ::realpath(candidate.c_str(), real) == nullptr) {
        continue;
      }
      out.binaries.push_back({"/usr/bin/" + name, real});
      break;
    }
  }
}

}  // namespace

const std::vector<std::string>& defaultDriverLibraries() {
  static const std::vector<std::string> kLibraries = {
      // utility
      "libnvidia-ml.so", "libnvidia-cfg.so", "libnvidia-nscq.so",
      // compute
      "libcuda.so", "libcudadebugger.so", "libnvidia-opencl.so", "libnvidia-ptxjitcompiler.so",
      "libnvidia-fatbinaryloader.so", "libnvidia-allocator.so", "libnvidia-compiler.so",
      "libnvidia-pkcs11.so", "libnvidia-pkcs11-openssl3.so", "libnvidia-nvvm.so",
      "libnvidia-gpucomp.so",
      // video
      "libvdpau_nvidia.so", "libnvidia-encode.so", "libnvidia-opticalflow.so", "libnvcuvid.so"};
  return kLibraries;
}

const std::vector<std::string>& defaultDriverBinaries() {
  static const std::vector<std::string> kBinaries = {
      "nvidia-smi", "nvidia-debugdump", "nvidia-cuda-mps-control", "nvidia-cuda-mps-server"};
  return kBinaries;
}

Result<Discovery> discover(const DiscoveryOptions& options) {
  Discovery out;
  findGpuNodes(options, out);
  std::map<std::string, int64_t> majors;
  if (auto text = readFileAt(AT_FDCWD, options.procDir + "/devices")) {
    majors = parseProcDevices(*text);
  } else {
    out.warnings.push_back("cannot read dynamic majors: " + text.error().message);
  }
  findControlNodes(options, majors, out);
  findHostGpus(options, out);
  findLibraries(options, out);
  findBinaries(options, out);
  return out;
}

std::map<std::string, int64_t> parseProcDevices(const std::string& text) {
  std::map<std::string, int64_t> majors;
  std::istringstream in(text);
  std::string line;
  bool character = false;
  while (std::getline(in, line)) {
    if (line.starts_with("Character devices:"))
      character = true;
    else if (line.starts_with("Block devices:"))
      character = false;
    std::istringstream fields(line);
    int64_t major = -1;
    std::string name;
    if (character && (fields >> major >> name)) majors[name] = major;
  }
  return majors;
}

namespace {
int parseMinor(const std::string& text) {
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  return end != text.c_str() && *end == '\0' && value >= 0 && value < 1 << 20 ? int(value) : -1;
}
}  // namespace

HostGpu parseGpuInformation(const std::string& text) {
  HostGpu gpu;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    size_t start = line.find_first_not_of(" \t", colon + 1);
    std::string value = start == std::string::npos ? "" : line.substr(start);
    value.erase(value.find_last_not_of(" \t\r") + 1);
    if (key == "Model")
      gpu.model = value;
    else if (key == "GPU UUID")
      gpu.uuid = value;
    else if (key == "Bus Location")
      gpu.busId = value;
    else if (key == "Device Minor")
      gpu.minor = parseMinor(value);
  }
  return gpu;
}

std::string parseDriverVersion(const std::string& text) {
  std::istringstream in(text);
  std::string word, previous;
  while (in >> word) {
    if (previous == "Module" && std::isdigit(static_cast<unsigned char>(word[0]))) return word;
    previous = word;
  }
  return "";
}

}  // namespace spacelet::agent::gpu

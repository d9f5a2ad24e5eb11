// The state directory of the network policy (see state_store.h): file formats, atomic
// replacement, the lock and the generation counter. Paths are relative to directory fds.
#include "state_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "spacelet/base/file_io.h"

namespace spacelet::netpolicy {
namespace {

using json = nlohmann::json;

template <typename T>
Result<T> field(const json& j, const char* name) {
  if (!j.is_object() || !j.contains(name))
    return failInvalid("missing field '" + std::string(name) + "'");
  try {
    return j.at(name).get<T>();
  } catch (const json::exception&) {
    return failInvalid("field '" + std::string(name) + "' has the wrong type");
  }
}

// Replaces `name` in dirfd: write a temp file, optionally fsync it, rename it over.
Result<void> replaceFile(int dirfd, const std::string& name, std::string_view data, bool durable) {
  if (durable) return writeFileAtomicAt(dirfd, name, data, 0600);
  std::string tmp = name + ".tmp";
  auto fd = openAt(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (!fd) return fail(std::move(fd).error());
  SPACELET_TRY_CONTEXT(writeAll(fd->get(), data), "write '" + tmp + "'");
  if (::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) != 0) {
    return failErrno(errno, "rename '" + tmp + "' to '" + name + "'");
  }
  return {};
}

Result<void> removeFile(int dirfd, const std::string& name) {
  if (::unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT) {
    return failErrno(errno, "delete '" + name + "'");
  }
  return {};
}

// Names of the *.json files in dirfd.
Result<std::vector<std::string>> jsonFiles(int dirfd) {
  auto dup = UniqueFd(::fcntl(dirfd, F_DUPFD_CLOEXEC, 0));
  if (!dup) return failErrno(errno, "duplicate directory fd");
  DIR* dir = ::fdopendir(dup.get());
  if (!dir) return failErrno(errno, "read directory");
  dup.release();
  ::rewinddir(dir);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir)) {
    std::string_view n = e->d_name;
    if (n.ends_with(".json")) names.emplace_back(n);
  }
  ::closedir(dir);
  return names;
}

Result<json> readJson(int dirfd, const std::string& name) {
  auto text = readFileAt(dirfd, name);
  if (!text) return fail(std::move(text).error());
  try {
    return json::parse(*text);
  } catch (const json::exception& e) {
    return failInvalid("'" + name + "' is not valid JSON: " + e.what());
  }
}

Result<UniqueFd> openDir(int dirfd, const std::string& name) {
  if (::mkdirat(dirfd, name.c_str(), 0700) != 0 && errno != EEXIST) {
    return failErrno(errno, "create directory '" + name + "'");
  }
  return openAt(dirfd, name, O_RDONLY | O_DIRECTORY);
}

}  // namespace

json leaseToJson(const Lease& l) {
  return {
      {"space_id", l.spaceId}, {"ifname", l.ifname}, {"index", l.index}, {"app_port", l.appPort}};
}

Result<Lease> leaseFromJson(const json& j) {
  Lease l;
  auto id = field<std::string>(j, "space_id");
  auto ifname = field<std::string>(j, "ifname");
  auto index = field<uint32_t>(j, "index");
  auto port = field<uint16_t>(j, "app_port");
  if (!id) return fail(std::move(id).error());
  if (!ifname) return fail(std::move(ifname).error());
  if (!index) return fail(std::move(index).error());
  if (!port) return fail(std::move(port).error());
  if (*ifname != interfaceName(*id)) {
    return failInvalid("field 'ifname' is '" + *ifname + "' but Space '" + *id + "' has '" +
                       interfaceName(*id) + "'");
  }
  return Lease{*id, *ifname, *index, *port};
}

json policyToJson(const SpacePolicy& p) {
  json overrides = json::array(), published = json::array();
  for (const auto& o : p.overrides) overrides.push_back(o.toString());
  for (const auto& pp : p.published) {
    published.push_back({{"host_port", pp.hostPort}, {"space_port", pp.spacePort}});
  }
  return {{"space_id", p.spaceId}, {"overrides", overrides}, {"published", published}};
}

Result<SpacePolicy> policyFromJson(const json& j) {
  SpacePolicy p;
  auto id = field<std::string>(j, "space_id");
  auto overrides = field<std::vector<std::string>>(j, "overrides");
  auto published = field<json>(j, "published");
  if (!id) return fail(std::move(id).error());
  if (!overrides) return fail(std::move(overrides).error());
  if (!published || !published->is_array()) return failInvalid("field 'published' must be a list");
  p.spaceId = *id;
  for (const auto& text : *overrides) {
    auto o = Override::parse(text);
    if (!o) return fail(std::move(o).error().withContext("field 'overrides'"));
    p.overrides.push_back(*o);
  }
  for (const auto& entry : *published) {
    auto host = field<uint16_t>(entry, "host_port");
    auto space = field<uint16_t>(entry, "space_port");
    if (!host || !space) return failInvalid("field 'published' needs host_port and space_port");
    p.published.push_back({*host, *space});
  }
  return p;
}

StateStore::Lock::~Lock() {
  if (fd_ >= 0) ::flock(fd_, LOCK_UN);
}

Result<StateStore> StateStore::open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return failErrno(ec.value(), "create the state directory '" + dir + "'");
  auto root = openAt(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY);
  if (!root) return fail(std::move(root).error());
  auto leases = openDir(root->get(), "leases");
  auto policy = openDir(root->get(), "policy");
  auto lock = openAt(root->get(), "lock", O_RDWR | O_CREAT, 0600);
  auto generation = openAt(root->get(), "generation", O_RDWR | O_CREAT, 0600);
  if (!leases) return fail(std::move(leases).error().withContext(dir));
  if (!policy) return fail(std::move(policy).error().withContext(dir));
  if (!lock) return fail(std::move(lock).error().withContext(dir));
  if (!generation) return fail(std::move(generation).error().withContext(dir));
  return StateStore(dir, std::move(*root), std::move(*leases), std::move(*policy), std::move(*lock),
                    std::move(*generation));
}

Result<StateStore::Lock> StateStore::lock() {
  while (::flock(lock_.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return failErrno(errno, "lock '" + dir_ + "/lock'");
  }
  return Lock(lock_.get());
}

Result<uint64_t> StateStore::generation() const {
  char buf[32] = {};
  ssize_t n = ::pread(generation_.get(), buf, sizeof buf - 1, 0);
  if (n < 0) return failErrno(errno, "read '" + dir_ + "/generation'");
  return static_cast<uint64_t>(std::strtoull(buf, nullptr, 10));  // empty or torn: 0, a reload
}

// Rewritten in place with a fixed width: no new inode per change, and readers hold the lock.
Result<uint64_t> StateStore::bumpGeneration() {
  auto current = generation();
  if (!current) return fail(std::move(current).error());
  uint64_t next = *current + 1;
  char buf[24];
  int len = std::snprintf(buf, sizeof buf, "%020llu\n", static_cast<unsigned long long>(next));
  if (::pwrite(generation_.get(), buf, static_cast<size_t>(len), 0) != len) {
    return failErrno(errno, "write '" + dir_ + "/generation'");
  }
  return next;
}

Result<std::vector<std::pair<std::string, Lease>>> StateStore::loadLeases() const {
  auto names = jsonFiles(leases_.get());
  if (!names) return fail(std::move(names).error().withContext(dir_ + "/leases"));
  std::vector<std::pair<std::string, Lease>> out;
  for (const auto& name : *names) {
    std::string path = dir_ + "/leases/" + name;
    struct stat st {};
    if (::fstatat(leases_.get(), name.c_str(), &st, 0) == 0 && st.st_size == 0) {
      SPACELET_TRY(removeFile(leases_.get(), name));
      continue;
    }
    auto j = readJson(leases_.get(), name);
    if (!j) return fail(std::move(j).error().withContext("lease '" + path + "'"));
    auto lease = leaseFromJson(*j);
    if (!lease) return fail(std::move(lease).error().withContext("lease '" + path + "'"));
    out.emplace_back(path, *lease);
  }
  return out;
}

Result<void> StateStore::saveLease(const Lease& lease) {
  return replaceFile(leases_.get(), lease.ifname + ".json", leaseToJson(lease).dump() + "\n",
                     false);
}

Result<void> StateStore::removeLease(const std::string& ifname) {
  return removeFile(leases_.get(), ifname + ".json");
}

Result<std::map<std::string, SpacePolicy>> StateStore::loadPolicies() const {
  auto names = jsonFiles(policy_.get());
  if (!names) return fail(std::move(names).error().withContext(dir_ + "/policy"));
  std::map<std::string, SpacePolicy> out;
  for (const auto& name : *names) {
    std::string path = dir_ + "/policy/" + name;
    auto j = readJson(policy_.get(), name);
    if (!j) return fail(std::move(j).error().withContext("policy '" + path + "'"));
    auto policy = policyFromJson(*j);
    if (!policy) return fail(std::move(policy).error().withContext("policy '" + path + "'"));
    out[name.substr(0, name.size() - 5)] = std::move(*policy);
  }
  return out;
}

Result<void> StateStore::savePolicy(const std::string& ifname, const SpacePolicy& policy) {
  if (policy.empty()) return removePolicy(ifname);
  return replaceFile(policy_.get(), ifname + ".json", policyToJson(policy).dump(2) + "\n", true);
}

Result<void> StateStore::removePolicy(const std::string& ifname) {
  return removeFile(policy_.get(), ifname + ".json");
}

}  // namespace spacelet::netpolicy

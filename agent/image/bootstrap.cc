// Offline base images (see bootstrap.h).
#include "agent/image/bootstrap.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <sstream>

#include "agent/image/fs_util.h"
#include "agent/image/layer_pack.h"
#include "agent/process/spawn.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::image {
namespace {

constexpr const char* kPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// A scratch root under the store (same filesystem), removed at the end.
class ScratchRoot {
 public:
  explicit ScratchRoot(const ImageStore& store) {
    static std::atomic<unsigned> counter{0};
    path_ = store.options().root + "/.bootstrap-" + std::to_string(::getpid()) + "-" +
            std::to_string(++counter);
    created_ = ::mkdir(path_.c_str(), 0755) == 0;
  }
  ~ScratchRoot() {
    auto parent = openAt(AT_FDCWD, path_.substr(0, path_.rfind('/')), O_RDONLY | O_DIRECTORY);
    if (parent) (void)removeTreeAt(parent->get(), path_.substr(path_.rfind('/') + 1));
  }
  const std::string& path() const { return path_; }
  Result<void> check() const {
    if (!created_) return failErrno(errno, "create '" + path_ + "'");
    return {};
  }

 private:
  std::string path_;
  bool created_ = false;
};

Result<void> mkdirs(const std::string& root, const std::vector<std::string>& dirs) {
  for (const auto& d : dirs) {
    std::string path = root;
    std::stringstream parts(d);
    for (std::string part; std::getline(parts, part, '/');) {
      path += "/" + part;
      if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
        return failErrno(errno, "create '" + path + "'");
    }
  }
  return {};
}

// uid 1000 with HOME=/home/user, as the Space's process runs; /tmp world-writable.
Result<void> addAppUser(const std::string& root) {
  SPACELET_TRY(mkdirs(root, {"etc", "home/user", "tmp", "app"}));
  auto passwd =
      readFileAt(AT_FDCWD, root + "/etc/passwd").value_or("root:x:0:0:root:/root:/bin/sh\n");
  auto group = readFileAt(AT_FDCWD, root + "/etc/group").value_or("root:x:0:\n");
  if (passwd.find("\nuser:") == std::string::npos)
    passwd += "user:x:1000:1000:user:/home/user:/bin/sh\n";
  if (group.find("\nuser:") == std::string::npos) group += "user:x:1000:\n";
  SPACELET_TRY(writeFileAtomicAt(AT_FDCWD, root + "/etc/passwd", passwd, 0644));
  SPACELET_TRY(writeFileAtomicAt(AT_FDCWD, root + "/etc/group", group, 0644));
  for (const char* d : {"/home/user", "/app"}) {
    if (::chown((root + d).c_str(), 1000, 1000) != 0)
      return failErrno(errno, "chown '" + root + d + "'");
  }
  if (::chmod((root + "/tmp").c_str(), 01777) != 0) return failErrno(errno, "chmod /tmp");
  return {};
}

Result<Image> commitRoot(ImageStore& store, const std::string& root, const std::string& name,
                         const std::string& createdBy, const BootstrapOptions& options) {
  options.progress("packing " + name);
  auto writing = store.lockWriters();  // the layer is unnamed until the commit below
  if (!writing) return fail(std::move(writing).error());
  auto fd = openAt(AT_FDCWD, root, O_RDONLY | O_DIRECTORY);
  if (!fd) return fail(std::move(fd).error());
  auto layer = packLayer(fd->get(), store.blobs(), {});
  if (!layer) return fail(std::move(layer).error().withContext("bootstrap '" + name + "'"));
  ImageConfig config;
  config.config.env = {kPath, "HOME=/home/user"};
  config.config.cmd = {"/bin/sh"};
  config.config.labels = {{"io.spacelet.bootstrap", createdBy}};
  config.diffIds = {layer->diffId};
  config.history = {{createdBy, false}};
  auto image = store.commit(name, config, {layer->blob});
  if (image) options.progress("stored " + name + " as " + image->manifestBlob.digest.str());
  return image;
}

Result<void> runLogged(const std::vector<std::string>& argv, const BootstrapOptions& options,
                       std::chrono::seconds timeout) {
  process::SpawnOptions spawn;
  spawn.argv = argv;
  spawn.env = {kPath, "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C"};
  spawn.mergeStderr = true;
  auto r = process::run(spawn, {.timeout = timeout});
  if (!r) return fail(std::move(r).error());
  std::istringstream lines(r->output);
  for (std::string line; std::getline(lines, line);) options.progress(line);
  if (r->timedOut)
    return failInvalid("'" + argv[0] + "' ran longer than " + std::to_string(timeout.count()) +
                       "s");
  if (!r->status.success()) {
    return failInvalid("'" + argv[0] + "' failed (" + r->status.describe() +
                       "); the last lines are above");
  }
  return {};
}

}  // namespace

Result<Image> bootstrapBusybox(ImageStore& store, const BootstrapOptions& options) {
  if (!options.force) {
    if (auto existing = store.get(options.busyboxName)) return existing;
  }
  ScratchRoot root(store);
  SPACELET_TRY(root.check());
  SPACELET_TRY(mkdirs(root.path(), {"bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys",
                                    "dev", "root", "var/www"}));
  auto applets = process::run({.argv = {options.busyboxPath, "--list"}});
  if (!applets || !applets->status.success()) {
    return failInvalid("'" + options.busyboxPath +
                       "' is not a working busybox (install busybox-static)");
  }
  auto in = openAt(AT_FDCWD, options.busyboxPath, O_RDONLY);
  auto bytes = in ? readAll(in->get()) : Result<std::string>(fail(in.error()));
  if (!bytes) return fail(std::move(bytes).error().withContext("read busybox"));
  SPACELET_TRY(writeFileAtomicAt(AT_FDCWD, root.path() + "/bin/busybox", *bytes, 0755));
  std::istringstream names(applets->output);
  for (std::string name; std::getline(names, name);) {
    if (!name.empty() && name != "busybox")
      ::symlinkat("busybox", AT_FDCWD, (root.path() + "/bin/" + name).c_str());
  }
  SPACELET_TRY(addAppUser(root.path()));
  return commitRoot(store, root.path(), options.busyboxName, "spacelet bootstrap busybox", options);
}

Result<Image> bootstrapPython(ImageStore& store, const BootstrapOptions& options) {
  if (!options.force) {
    if (auto existing = store.get(options.pythonName)) return existing;
  }
  ScratchRoot root(store);
  SPACELET_TRY(root.check());
  std::string include;
  for (const auto& p : options.pythonPackages) include += (include.empty() ? "" : ",") + p;
  options.progress("debootstrap " + options.suite + " from " + options.mirror + " with " + include);
  SPACELET_TRY(runLogged({options.debootstrap, "--variant=minbase", "--include=" + include,
                          options.suite, root.path(), options.mirror},
                         options, std::chrono::seconds(3600)));
  auto rootFd = openAt(AT_FDCWD, root.path(), O_RDONLY | O_DIRECTORY);
  if (!rootFd) return fail(std::move(rootFd).error());
  for (const char* cache : {"var/cache/apt/archives", "var/lib/apt/lists"}) {
    auto dir = openAt(rootFd->get(), cache, O_RDONLY | O_DIRECTORY);
    if (!dir) continue;
    (void)removeTreeAt(dir->get(), ".");  // keeps the directory, drops downloaded files
  }
  SPACELET_TRY(addAppUser(root.path()));
  return commitRoot(store, root.path(), options.pythonName,
                    "spacelet bootstrap debootstrap " + options.suite + " " + include, options);
}

}  // namespace spacelet::agent::image

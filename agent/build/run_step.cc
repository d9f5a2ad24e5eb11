// The RUN step: its command line (shell form, exec form, heredocs), its --mount flags
// (secrets and caches) and the build network's resolv.conf, the build container around it,
// and the mount points the runtime leaves behind, removed so they never reach a layer.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "agent/build/build_run.h"
#include "agent/build/copy_files.h"
#include "agent/build/run_container.h"
#include "agent/build/user_lookup.h"
#include "agent/image/digest.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::build {
namespace {

struct MountFlag {
  std::map<std::string, std::string> fields;  // type=secret,id=X,target=/y,required
};

MountFlag parseMountFlag(const std::string& value) {
  MountFlag m;
  std::stringstream in(value);
  std::string field;
  while (std::getline(in, field, ',')) {
    size_t eq = field.find('=');
    m.fields[field.substr(0, eq)] = eq == std::string::npos ? "true" : field.substr(eq + 1);
  }
  if (!m.fields.contains("type")) m.fields["type"] = "bind";
  if (m.fields.contains("dst")) m.fields["target"] = m.fields["dst"];
  if (m.fields.contains("destination")) m.fields["target"] = m.fields["destination"];
  return m;
}

// The command a RUN runs. Heredocs are handed back to the shell as a script, which then
// treats them exactly as a shell would; a RUN that is only a heredoc runs its content.
std::vector<std::string> commandLine(const Instruction& ins, const StageState& state) {
  if (ins.execForm) return ins.execArgs;
  std::vector<std::string> cmd = shellOf(state);
  std::string script = ins.rest;
  std::string markersOnly = ins.rest;
  for (const auto& h : ins.heredocs) {
    for (const std::string& m :
         {"<<-" + h.name, "<<\"" + h.name + "\"", "<<'" + h.name + "'", "<<" + h.name}) {
      if (size_t p = markersOnly.find(m); p != std::string::npos) markersOnly.erase(p, m.size());
    }
  }
  if (ins.heredocs.size() == 1 && markersOnly.find_first_not_of(" \t") == std::string::npos) {
    cmd.push_back(ins.heredocs[0].content);
    return cmd;
  }
  for (const auto& h : ins.heredocs) script += "\n" + h.content + h.name;
  cmd.push_back(script);
  return cmd;
}

Result<BindMount> secretMount(BuildRun& run, const Instruction& ins, const MountFlag& m,
                              const std::string& dir) {
  std::string id = m.fields.contains("id") ? m.fields.at("id") : "";
  std::string target = m.fields.contains("target") ? m.fields.at("target") : "/run/secrets/" + id;
  auto it = run.options.secrets.find(id);
  if (id.empty() || id.find('/') != std::string::npos || id == "." || id == "..") {
    return failInvalid(ins.where() + ": --mount=type=secret needs a plain id=NAME");
  }
  if (it == run.options.secrets.end()) {
    return failInvalid(ins.where() + ": secret '" + id +
                       "' is not set; add it to the Space's secrets (spacectl secret set)");
  }
  // Outside the step's upper dir, so the value is never part of a layer; removed after.
  std::string file = dir + "/secret-" + id;
  SPACELET_TRY(writeFileAtomicAt(AT_FDCWD, file, it->second, 0400));
  if (::chown(file.c_str(), run.options.ids.hostId, run.options.ids.hostId) != 0) {
    return failErrno(errno, "chown the secret file");
  }
  return BindMount{file, target, true};
}

Result<BindMount> cacheMount(BuildRun& run, const Instruction& ins, const MountFlag& m) {
  if (!m.fields.contains("target"))
    return failInvalid(ins.where() + ": --mount=type=cache needs target=PATH");
  std::string target = absoluteIn("/", m.fields.at("target"));
  std::string id = m.fields.contains("id") ? m.fields.at("id") : target;
  std::string dir = run.cache.mountsDir() + "/" + image::sha256Of(id).hex().substr(0, 32);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return failErrno(errno, "create cache mount");
  if (::chown(dir.c_str(), run.options.ids.hostId, run.options.ids.hostId) != 0) {
    return failErrno(errno, "chown cache mount");
  }
  return BindMount{dir, target, false};
}

// type=bind: a read-only view of the build context or of a named context (from=NAME).
Result<BindMount> bindMount(BuildRun& run, const Instruction& ins, const MountFlag& m) {
  if (!m.fields.contains("target"))
    return failInvalid(ins.where() + ": --mount=type=bind needs target=PATH");
  std::string base = run.context.dir();
  if (m.fields.contains("from")) {
    auto it = run.options.namedContexts.find(m.fields.at("from"));
    if (it == run.options.namedContexts.end()) {
      return failInvalid(ins.where() + ": --mount from='" + m.fields.at("from") +
                         "' is neither a named context of this build nor supported");
    }
    base = it->second;
  }
  auto source = normalizeContextPath(m.fields.contains("source") ? m.fields.at("source") : "");
  if (!source) return fail(std::move(source).error().withContext(ins.where()));
  bool readWrite = m.fields.contains("rw") || m.fields.contains("readwrite");
  if (readWrite)
    return failInvalid(ins.where() + ": --mount=type=bind is read-only in spacelet builds");
  if (!m.fields.contains("from")) {  // the main context: its symlink checks apply
    auto resolved = run.context.resolve(source->empty() ? "." : *source);
    if (!resolved) return fail(std::move(resolved).error().withContext(ins.where()));
  }
  return BindMount{source->empty() ? base : base + "/" + *source,
                   absoluteIn("/", m.fields.at("target")), true};
}

Result<std::vector<BindMount>> stepMounts(BuildRun& run, const Instruction& ins,
                                          const std::string& dir) {
  std::vector<BindMount> binds;
  for (const auto& value : ins.flagValues("mount")) {
    MountFlag m = parseMountFlag(value);
    const std::string& type = m.fields.at("type");
    Result<BindMount> b = failInvalid(ins.where() + ": --mount type '" + type +
                                      "' is not supported (use secret, cache or bind)");
    if (type == "secret") b = secretMount(run, ins, m, dir);
    if (type == "cache") b = cacheMount(run, ins, m);
    if (type == "bind") b = bindMount(run, ins, m);
    if (!b) return fail(std::move(b).error());
    binds.push_back(*b);
  }
  if (!ins.flag("network").empty() && ins.flag("network") != "none" &&
      ins.flag("network") != "default") {
    return failInvalid(ins.where() + ": --network='" + ins.flag("network") +
                       "' is not allowed in builds");
  }
  if (!run.options.network.resolvConf.empty()) {
    // Outside the upper dir and read-only, like Docker's: never part of a layer.
    std::string file = dir + "/resolv.conf";
    SPACELET_TRY(writeFileAtomicAt(AT_FDCWD, file, run.options.network.resolvConf, 0644));
    binds.push_back({file, "/etc/resolv.conf", true});
  }
  return binds;
}

// Paths the runtime may create as mount points, with whether they existed before the step.
std::vector<std::pair<std::string, bool>> mountPoints(int rootFd,
                                                      const std::vector<BindMount>& binds) {
  std::set<std::string> paths = {"/proc", "/dev", "/sys"};
  for (const auto& b : binds) {
    for (std::string p = b.destination; p.size() > 1; p = p.substr(0, p.rfind('/')))
      paths.insert(p);
  }
  std::vector<std::pair<std::string, bool>> out;
  for (const auto& p : paths) out.push_back({p, static_cast<bool>(openInRoot(rootFd, p))});
  return out;
}

// Removes mount points the runtime created (empty files and empty directories), deepest first.
void removeCreatedMountPoints(const std::string& upper,
                              const std::vector<std::pair<std::string, bool>>& points) {
  for (auto it = points.rbegin(); it != points.rend(); ++it) {
    if (it->second) continue;
    std::string path = upper + it->first;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode))
      ::rmdir(path.c_str());
    else if (S_ISREG(st.st_mode) && st.st_size == 0)
      ::unlink(path.c_str());
  }
}

// The runtime's command with its global options: its state root, and the systemd cgroup
// driver when the node uses it.
std::vector<std::string> runtimeCommand(const BuilderSettings& s, const std::string& stateRoot) {
  std::vector<std::string> command = {s.runtimePath, "--root", stateRoot};
  if (!s.systemdSlice.empty()) command.push_back("--systemd-cgroup");
  return command;
}

// A build container's cgroupsPath: below cgroupParent, or with the systemd driver the scope
// spacelet-build-<name>.scope in the slice (runc's "slice:prefix:name").
std::string buildCgroupsPath(const BuilderSettings& s, const std::string& name) {
  if (!s.systemdSlice.empty()) return s.systemdSlice + ":spacelet-build:" + name;
  return s.cgroupParent + "/spacelet-build-" + name;
}

Result<void> executeRun(BuildRun& run, const StageState& state, const Instruction& ins,
                        StepRoot& root) {
  auto binds = stepMounts(run, ins, root.dir());
  if (!binds) return fail(std::move(binds).error());
  std::string user = state.config.config.user.empty() ? "0" : state.config.config.user;
  auto ids = resolveUserInRoot(root.fd(), user);
  if (!ids) return fail(std::move(ids).error().withContext(ins.where()));
  RunSpec spec{commandLine(ins, state),
               runEnvironment(state),
               state.config.config.workingDir,
               ids->uid,
               ids->gid,
               run.options.ids,
               run.options.limits,
               buildCgroupsPath(run.settings, run.options.id + "-" + std::to_string(run.step)),
               *binds,
               run.options.network.netnsPath};
  auto config = buildContainerConfig(spec);
  config["root"]["path"] = root.path();
  SPACELET_TRY(
      writeFileAtomicAt(AT_FDCWD, root.dir() + "/config.json",
                        config.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  auto points = mountPoints(root.fd(), *binds);
  auto exit =
      runContainer(runtimeCommand(run.settings, run.scratch + "/runtime"), root.dir(),
                   run.options.id + "-" + std::to_string(run.step), run.options.limits.stepTimeout,
                   [&](std::string_view line) { run.log(line); });
  for (const auto& b : *binds) {
    if (b.source.starts_with(root.dir())) ::unlink(b.source.c_str());  // secrets, resolv.conf
  }
  removeCreatedMountPoints(root.upper(), points);
  if (!exit) return fail(std::move(exit).error().withContext(ins.where()));
  if (exit->timedOut) {
    return failInvalid(ins.where() + ": the step ran longer than " +
                       std::to_string(run.options.limits.stepTimeout.count()) +
                       "s and was stopped (build.step_timeout)");
  }
  if (exit->status != 0) {
    return failInvalid(ins.where() +
                       ": the command returned a non-zero code: " + std::to_string(exit->status));
  }
  return {};
}

}  // namespace

Result<void> runStep(BuildRun& run, StageState& state, const Instruction& ins) {
  std::string mountIds;
  for (const auto& v : ins.flagValues("mount")) mountIds += v + "\n";  // ids, never values
  return filesystemStep(run, state, ins, stepKey(state, ins, mountIds),
                        [&](StepRoot& root) { return executeRun(run, state, ins, root); });
}

}  // namespace spacelet::agent::build

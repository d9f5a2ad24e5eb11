// The COPY and ADD steps: sources from the build context, an earlier stage or an image,
// heredoc files, local tar auto-extraction for ADD; remote URLs are refused.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "agent/build/build_run.h"
#include "agent/build/copy_files.h"
#include "agent/build/user_lookup.h"
#include "agent/image/digest.h"
#include "agent/image/layer_unpack.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::build {
namespace {

struct CopySpec {
  std::vector<std::string> sources;  // expanded
  std::string dest;                  // absolute in the container
  bool destIsDir = false;
};

bool isUrl(const std::string& s) {
  return s.starts_with("http://") || s.starts_with("https://") || s.starts_with("git@") ||
         s.starts_with("ftp://");
}

Result<CopySpec> copySpec(BuildRun& run, const StageState& state, const Instruction& ins) {
  std::vector<std::string> raw = ins.execArgs;
  if (!ins.execForm) {
    auto words = splitWords(ins.rest, run.dockerfile.escape);
    if (!words) return failInvalid(ins.where() + ": " + words.error().message);
    raw = *words;
  }
  CopySpec spec;
  for (size_t i = 0; i < raw.size(); ++i) {
    auto word = ins.execForm ? Result<std::string>(raw[i])
                             : expandIn(ins, raw[i], run.dockerfile.escape, state);
    if (!word) return fail(std::move(word).error());
    if (i + 1 < raw.size())
      spec.sources.push_back(*word);
    else
      spec.dest = *word;
  }
  spec.destIsDir = spec.dest.ends_with("/") || spec.dest == "." || spec.dest.ends_with("/.");
  spec.dest = absoluteIn(state.config.config.workingDir, spec.dest);
  bool glob = false;
  for (const auto& s : spec.sources) glob = glob || s.find_first_of("*?[") != std::string::npos;
  if ((spec.sources.size() > 1 || glob) && !spec.destIsDir) {
    return failInvalid(ins.where() + ": with several sources the destination '" + spec.dest +
                       "' must be a directory ending in '/'");
  }
  return spec;
}

Result<CopyOptions> copyOptions(BuildRun& run, const Instruction& ins, int rootFd) {
  CopyOptions o;
  o.hostShift = run.options.ids.hostId;
  if (std::string chown = ins.flag("chown"); !chown.empty()) {
    auto ids = resolveUserInRoot(rootFd, chown);
    if (!ids) return fail(std::move(ids).error().withContext(ins.where() + ": --chown"));
    o.uid = ids->uid;
    o.gid = ids->gid;
  }
  if (std::string chmod = ins.flag("chmod"); !chmod.empty()) o.chmod = std::stoi(chmod, nullptr, 8);
  return o;
}

bool looksLikeArchive(int fd) {
  unsigned char head[512] = {};
  ssize_t n = ::pread(fd, head, sizeof head, 0);
  if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) return true;  // gzip
  if (n >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
    return true;                                                                      // zstd
  return n >= 262 && std::string(reinterpret_cast<char*>(head) + 257, 5) == "ustar";  // tar
}

// Copies one opened source to the destination, the way Docker places it.
Result<void> place(BuildRun& run, const Instruction& ins, int srcFd, const std::string& srcRel,
                   const CopySpec& spec, StepRoot& root, const CopyOptions& o) {
  struct stat st {};
  if (::fstat(srcFd, &st) != 0) return failErrno(errno, "stat '" + srcRel + "'");
  bool intoDir = spec.destIsDir || S_ISDIR(st.st_mode) ||
                 openDirInRoot(root.fd(), spec.dest, false, o).has_value();
  if (ins.keyword == "ADD" && S_ISREG(st.st_mode) && looksLikeArchive(srcFd)) {
    auto dir = openDirInRoot(root.fd(), spec.dest, true, o);
    if (!dir) return fail(std::move(dir).error());
    image::UnpackOptions unpack;
    unpack.idShift = run.options.ids.hostId;
    auto r = image::unpackLayer(srcFd, dir->get(), unpack);
    if (!r) return fail(std::move(r).error().withContext("extract '" + srcRel + "'"));
    return {};
  }
  std::string parent = spec.dest, name;
  if (!intoDir) {
    parent = spec.dest.substr(0, spec.dest.rfind('/'));
    name = spec.dest.substr(spec.dest.rfind('/') + 1);
  } else if (!S_ISDIR(st.st_mode)) {
    name = srcRel.substr(srcRel.rfind('/') + 1);
  }
  auto dir = openDirInRoot(root.fd(), parent, true, o);
  if (!dir) return fail(std::move(dir).error());
  return copyTree(srcFd, srcRel, dir->get(), name, o);
}

// COPY --from: the source tree of an earlier stage or an image, mounted read-only.
struct FromSource {
  std::string key;  // cache input: the stage's cache key or the image digest
  std::vector<image::Descriptor> layers;
};

Result<FromSource> fromSource(BuildRun& run, const Instruction& ins) {
  std::string from = ins.flag("from");
  for (const auto& [index, state] : run.stages) {
    if (run.plan.stages[index].name == from || std::to_string(index) == from) {
      return FromSource{state.cacheKey, state.layers};
    }
  }
  auto image = run.store.get(from);
  if (!image) return fail(std::move(image).error().withContext(ins.where() + ": --from"));
  return FromSource{image->manifestBlob.digest.str(), image->manifest.layers};
}

Result<void> copyFromImage(BuildRun& run, const Instruction& ins, const CopySpec& spec,
                           const FromSource& from, StepRoot& root, const CopyOptions& o) {
  StageState source;
  source.layers = from.layers;
  auto srcRoot = StepRoot::mount(run, source, "from-" + std::to_string(run.step));
  if (!srcRoot) return fail(std::move(srcRoot).error());
  for (const auto& s : spec.sources) {
    auto fd = openInRoot(srcRoot->fd(), s);
    if (!fd) return fail(std::move(fd).error().withContext(ins.where() + ": source '" + s + "'"));
    SPACELET_TRY(place(run, ins, fd->get(), s, spec, root, o));
  }
  return srcRoot->unmount();
}

Result<void> copyHeredocs(BuildRun& run, const Instruction& ins, const StageState& state,
                          const CopySpec& spec, StepRoot& root, const CopyOptions& o) {
  for (const auto& h : ins.heredocs) {
    std::string content = h.content;
    if (h.expand) {
      VarLookup vars = stageVars(state);
      auto expanded = expandWord("\"" + content + "\"", &vars, run.dockerfile.escape);
      if (expanded) content = *expanded;
    }
    std::string file = root.dir() + "/heredoc-" + h.name;
    SPACELET_TRY(writeFileAtomicAt(AT_FDCWD, file, content, 0644));
    auto fd = openAt(AT_FDCWD, file, O_RDONLY);
    if (!fd) return fail(std::move(fd).error());
    SPACELET_TRY(place(run, ins, fd->get(), h.name, spec, root, o));
  }
  return {};
}

Result<std::vector<std::string>> contextSources(BuildRun& run, const Instruction& ins,
                                                const CopySpec& spec, std::string& hash) {
  std::vector<std::string> all;
  for (const auto& s : spec.sources) {
    if (isUrl(s)) {
      std::string network = run.options.network.netnsPath.empty()
                                ? "this build has no network"
                                : "it has the Space's egress policy";
      return failInvalid(ins.where() + ": remote source '" + s +
                         "' is refused: spacelet does not fetch URLs for ADD; download it in a "
                         "RUN step (e.g. RUN wget -O /dest '" +
                         s + "'; " + network + ") or add the file to the repository");
    }
    auto paths = run.context.resolve(s);
    if (!paths) return fail(std::move(paths).error().withContext(ins.where()));
    all.insert(all.end(), paths->begin(), paths->end());
    auto digest = run.context.hash(*paths);
    if (!digest) return fail(std::move(digest).error().withContext(ins.where()));
    hash += s + "=" + digest->str() + "\n";
  }
  return all;
}

}  // namespace

Result<void> copyStep(BuildRun& run, StageState& state, const Instruction& ins) {
  auto spec = copySpec(run, state, ins);
  if (!spec) return fail(std::move(spec).error());
  std::string inputs = ins.flag("from").empty() ? "" : "from\n";
  std::erase_if(spec->sources, [&](const std::string& s) {
    return s.starts_with("<<");  // heredoc sources are written from the Dockerfile
  });
  std::optional<FromSource> from;
  std::vector<std::string> paths;
  if (!ins.flag("from").empty()) {
    auto f = fromSource(run, ins);
    if (!f) return fail(std::move(f).error());
    inputs += f->key;
    from = *f;
  } else {
    auto p = contextSources(run, ins, *spec, inputs);
    if (!p) return fail(std::move(p).error());
    paths = *p;
  }
  return filesystemStep(run, state, ins, stepKey(state, ins, inputs + spec->dest),
                        [&](StepRoot& root) -> Result<void> {
                          auto o = copyOptions(run, ins, root.fd());
                          if (!o) return fail(std::move(o).error());
                          SPACELET_TRY(copyHeredocs(run, ins, state, *spec, root, *o));
                          if (from) return copyFromImage(run, ins, *spec, *from, root, *o);
                          o->skip = [&](const std::string& rel) {
                            return run.context.excluded(rel);
                          };
                          for (const auto& p : paths) {
                            auto fd = openAt(run.context.fd(), p.empty() ? "." : p, O_RDONLY);
                            if (!fd) return fail(std::move(fd).error().withContext(ins.where()));
                            SPACELET_TRY(place(run, ins, fd->get(), p, *spec, root, *o));
                          }
                          return {};
                        });
}

}  // namespace spacelet::agent::build

// The build context (see build_context.h).
#include "agent/build/build_context.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <sstream>

#include "agent/image/fs_util.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::build {
namespace {

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream in(path);
  std::string part;
  while (std::getline(in, part, '/')) {
    if (!part.empty() && part != ".") parts.push_back(part);
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count && i < parts.size(); ++i) out += (i ? "/" : "") + parts[i];
  return out;
}

std::vector<std::string> listDir(int dirFd, const std::string& rel) {
  std::vector<std::string> names;
  auto fd = image::openDirBeneath(dirFd, rel, false);
  if (!fd) return names;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd->release()), ::closedir);
  if (!dir) return names;
  while (struct dirent* e = ::readdir(dir.get())) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool hasGlob(const std::string& s) {
  return s.find_first_of("*?[") != std::string::npos;
}

}  // namespace

Result<std::string> normalizeContextPath(const std::string& source) {
  std::vector<std::string> out;
  for (const auto& part : components(source)) {
    if (part == "..") {
      if (out.empty()) {
        return failInvalid("source '" + source +
                           "' is outside the build context; COPY and ADD can only read files "
                           "inside the context directory");
      }
      out.pop_back();
      continue;
    }
    out.push_back(part);
  }
  return join(out, out.size());
}

bool matchComponent(const std::string& pattern, const std::string& name) {
  return ::fnmatch(pattern.c_str(), name.c_str(), FNM_PERIOD) == 0;
}

Result<BuildContext> BuildContext::open(const std::string& dir) {
  auto fd = openAt(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY);
  if (!fd) return fail(std::move(fd).error().withContext("build context"));
  std::string ignoreText;
  if (auto text = readFileAt(fd->get(), ".dockerignore")) ignoreText = *text;
  auto ignore = DockerIgnore::parse(ignoreText);
  if (!ignore) return fail(std::move(ignore).error());
  return BuildContext(dir, std::move(*fd), std::move(*ignore));
}

// A symlink on the way to (or at) a source is followed only while it stays in the context.
Result<void> BuildContext::checkSymlinks(const std::string& rel, const std::string& source) const {
  auto parts = components(rel);
  for (size_t i = 1; i <= parts.size(); ++i) {
    std::string prefix = join(parts, i);
    char target[4096];
    ssize_t n = ::readlinkat(fd_.get(), prefix.c_str(), target, sizeof target - 1);
    if (n < 0) continue;  // not a symlink
    target[n] = '\0';
    std::string t = target;
    std::string dirOfLink = join(parts, i - 1);
    auto resolved = t.starts_with("/") ? Result<std::string>(failInvalid(""))
                                       : normalizeContextPath(dirOfLink + "/" + t);
    if (!resolved) {
      return failInvalid("source '" + source + "' goes through the symlink '" + prefix + "' -> '" +
                         t + "', which points outside the build context");
    }
  }
  return {};
}

Result<std::vector<std::string>> BuildContext::resolve(const std::string& source) const {
  auto norm = normalizeContextPath(source);
  if (!norm) return fail(std::move(norm).error());
  std::vector<std::string> matches = {""};
  for (const auto& part : components(*norm)) {
    std::vector<std::string> next;
    for (const auto& base : matches) {
      if (!hasGlob(part)) {
        next.push_back(base.empty() ? part : base + "/" + part);
        continue;
      }
      for (const auto& name : listDir(fd_.get(), base)) {
        if (matchComponent(part, name)) next.push_back(base.empty() ? name : base + "/" + name);
      }
    }
    matches = std::move(next);
  }
  std::vector<std::string> out;
  for (const auto& m : matches) {
    SPACELET_TRY(checkSymlinks(m, source));
    struct stat st {};
    if (::fstatat(fd_.get(), m.empty() ? "." : m.c_str(), &st, 0) != 0) continue;
    if (!m.empty() && excluded(m)) continue;
    out.push_back(m);
  }
  if (out.empty()) {
    return fail(Error{ENOENT, "source '" + source +
                                  "' matches no file in the build context (or only files "
                                  "excluded by .dockerignore)"});
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

Result<void> hashTree(int rootFd, const std::string& rel, const BuildContext& ctx,
                      image::Sha256& h) {
  struct stat st {};
  const char* path = rel.empty() ? "." : rel.c_str();
  if (::fstatat(rootFd, path, &st, 0) != 0) return failErrno(errno, "stat '" + rel + "'");
  h.update(rel + "\n" + std::to_string(st.st_mode) + "\n");
  if (S_ISDIR(st.st_mode)) {
    for (const auto& name : listDir(rootFd, rel)) {
      std::string child = rel.empty() ? name : rel + "/" + name;
      if (ctx.excluded(child)) continue;
      struct stat cst {};
      if (::fstatat(rootFd, child.c_str(), &cst, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISLNK(cst.st_mode)) {
        char buf[4096];
        ssize_t n = ::readlinkat(rootFd, child.c_str(), buf, sizeof buf);
        std::string target(buf, n > 0 ? static_cast<size_t>(n) : 0);
        // Copied as a link, never followed; one that climbs out of the context would also
        // climb out of the layer, which unpacking refuses, so it is refused here by name.
        if (!target.starts_with("/") && !normalizeContextPath(rel + "/" + target)) {
          return failInvalid("symlink '" + child + "' -> '" + target +
                             "' points outside the build context; make it relative to a file "
                             "inside the context or absolute");
        }
        h.update(child + " -> " + target + "\n");
        continue;
      }
      SPACELET_TRY(hashTree(rootFd, child, ctx, h));
    }
    return {};
  }
  if (!S_ISREG(st.st_mode)) return {};
  auto fd = openAt(rootFd, rel, O_RDONLY);
  if (!fd) return fail(std::move(fd).error());
  char buf[64 << 10];
  ssize_t n;
  while ((n = ::read(fd->get(), buf, sizeof buf)) > 0) h.update({buf, static_cast<size_t>(n)});
  if (n < 0) return failErrno(errno, "read '" + rel + "'");
  return {};
}

}  // namespace

Result<image::Digest> BuildContext::hash(const std::vector<std::string>& paths) const {
  image::Sha256 h;
  for (const auto& p : paths) SPACELET_TRY(hashTree(fd_.get(), p, *this, h));
  return h.finish();
}

}  // namespace spacelet::agent::build

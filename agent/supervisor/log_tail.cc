// readLastLines (see log_tail.h).
#include "agent/supervisor/log_tail.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>

#include "spacelet/base/file_io.h"

namespace spacelet::agent::supervisor {

std::vector<std::string> readLastLines(const std::string& path, size_t lines, size_t maxBytes) {
  auto fd = openAt(AT_FDCWD, path, O_RDONLY);
  if (!fd) return {};
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return {};
  off_t start = st.st_size > static_cast<off_t>(maxBytes) ? st.st_size - maxBytes : 0;
  if (::lseek(fd->get(), start, SEEK_SET) < 0) return {};
  auto text = readAll(fd->get());
  if (!text) return {};
  std::deque<std::string> out;
  size_t pos = 0;
  // A line cut by the read window is not whole: skip it.
  if (start > 0) pos = text->find('\n') == std::string::npos ? text->size() : text->find('\n') + 1;
  while (pos < text->size()) {
    size_t nl = text->find('\n', pos);
    if (nl == std::string::npos) nl = text->size();
    if (nl > pos) out.emplace_back(text->substr(pos, nl - pos));
    if (out.size() > lines) out.pop_front();
    pos = nl + 1;
  }
  return {out.begin(), out.end()};
}

void pointCurrentLog(const std::string& logsDir, const std::string& name,
                     const std::string& target) {
  std::string tmp = logsDir + "/." + name + ".tmp";
  ::unlink(tmp.c_str());
  if (::symlink(target.c_str(), tmp.c_str()) == 0) {
    ::rename(tmp.c_str(), (logsDir + "/" + name).c_str());
  }
}

}  // namespace spacelet::agent::supervisor

// inotify on the event loop (see file_watcher.h).
#include "agent/api/file_watcher.h"

#include <unistd.h>

#include <vector>

namespace spacelet::agent::api {
namespace {

constexpr uint32_t kMask = IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
                           IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

}  // namespace

FileWatcher::Watch& FileWatcher::Watch::operator=(Watch&& o) noexcept {
  if (this != &o) {
    if (owner_) owner_->remove(wd_, id_);
    owner_ = std::exchange(o.owner_, nullptr);
    wd_ = o.wd_;
    id_ = o.id_;
  }
  return *this;
}

FileWatcher::Watch::~Watch() {
  if (owner_) owner_->remove(wd_, id_);
}

Result<std::unique_ptr<FileWatcher>> FileWatcher::create(daemon::EventLoop& loop) {
  std::unique_ptr<FileWatcher> watcher(new FileWatcher());
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return failErrno(errno, "inotify_init1");
  watcher->fd_.reset(fd);
  auto source = loop.addIo(fd, EPOLLIN, [w = watcher.get()](uint32_t) { w->onReadable(); });
  if (!source) return fail(std::move(source).error());
  watcher->source_ = std::move(*source);
  return watcher;
}

Result<FileWatcher::Watch> FileWatcher::watchDirectory(const std::string& dir, Callback callback) {
  int wd = ::inotify_add_watch(fd_.get(), dir.c_str(), kMask);
  if (wd < 0) return failErrno(errno, "watch '" + dir + "'");
  uint64_t id = nextId_++;
  watches_[wd].emplace(id, std::move(callback));
  return Watch(this, wd, id);
}

void FileWatcher::remove(int wd, uint64_t id) {
  auto it = watches_.find(wd);
  if (it == watches_.end() || it->second.erase(id) == 0) return;  // already IN_IGNORED
  if (it->second.empty()) {
    watches_.erase(it);
    ::inotify_rm_watch(fd_.get(), wd);
  }
}

void FileWatcher::onReadable() {
  alignas(struct inotify_event) char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n <= 0) return;  // EAGAIN: drained
    for (char* p = buf; p < buf + n;) {
      auto* event = reinterpret_cast<struct inotify_event*>(p);
      std::string_view name = event->len ? std::string_view(event->name) : std::string_view();
      dispatch(event->wd, event->mask, name);
      p += sizeof(struct inotify_event) + event->len;
    }
  }
}

void FileWatcher::dispatch(int wd, uint32_t mask, std::string_view name) {
  std::vector<std::pair<int, uint64_t>> targets;
  for (const auto& [w, callbacks] : watches_) {
    if (w != wd && !(mask & IN_Q_OVERFLOW)) continue;
    for (const auto& [id, cb] : callbacks) targets.emplace_back(w, id);
  }
  for (const auto& [w, id] : targets) {
    auto it = watches_.find(w);
    if (it == watches_.end()) continue;
    auto cb = it->second.find(id);
    if (cb == it->second.end()) continue;  // removed by an earlier callback
    Callback copy = cb->second;
    copy(mask, name);
  }
  if (mask & IN_IGNORED) watches_.erase(wd);  // the kernel dropped the watch (directory gone)
}

}  // namespace spacelet::agent::api

// One inotify instance for the whole agent, on the event loop: directories are watched for the
// names created, written, renamed and removed in them (what log follow needs, including
// rotation and a Space's directory going away). Several watchers of one directory share one
// inotify watch.
// Thread-safety: the event loop thread only.
#pragma once

#include <sys/inotify.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "agent/daemon/event_loop.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::agent::api {

class FileWatcher {
 public:
  // mask: the inotify event bits; name: the entry in the directory ("" for the directory itself).
  // IN_Q_OVERFLOW reaches every callback (events were lost: re-check everything).
  using Callback = std::function<void(uint32_t mask, std::string_view name)>;

  // Stops the callback when destroyed; must not outlive the watcher.
  class Watch {
   public:
    Watch() = default;
    Watch(FileWatcher* owner, int wd, uint64_t id) : owner_(owner), wd_(wd), id_(id) {}
    Watch(Watch&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), wd_(o.wd_), id_(o.id_) {}
    Watch& operator=(Watch&& o) noexcept;
    ~Watch();

   private:
    FileWatcher* owner_ = nullptr;
    int wd_ = -1;
    uint64_t id_ = 0;
  };

  static Result<std::unique_ptr<FileWatcher>> create(daemon::EventLoop& loop);
  Result<Watch> watchDirectory(const std::string& dir, Callback callback);

 private:
  FileWatcher() = default;
  void onReadable();
  void dispatch(int wd, uint32_t mask, std::string_view name);
  void remove(int wd, uint64_t id);

  UniqueFd fd_;
  daemon::Source source_;
  std::map<int, std::map<uint64_t, Callback>> watches_;
  uint64_t nextId_ = 1;
};

}  // namespace spacelet::agent::api

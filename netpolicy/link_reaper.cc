// The background deletion of detached Spaces' veth pairs (see link_reaper.h).
#include "link_reaper.h"

namespace spacelet::netpolicy {

LinkReaper::LinkReaper(NlSocket sock) : sock_(std::move(sock)), worker_([this] { loop(); }) {}

LinkReaper::~LinkReaper() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void LinkReaper::remove(int ifindex, std::string ifname) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back({ifindex, std::move(ifname)});
  }
  changed_.notify_all();
}

Result<void> LinkReaper::settle() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return queue_.empty() && !busy_; });
  return std::exchange(firstError_, Result<void>());
}

// Drains the queue before it stops, so the destructor leaves nothing behind.
void LinkReaper::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;
    Doomed next = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    auto deleted = deleteLinkAt(sock_.get(), next.ifindex);
    lock.lock();
    busy_ = false;
    if (!deleted && firstError_) {
      firstError_ =
          fail(std::move(deleted).error().withContext("delete the links of '" + next.ifname + "'"));
    }
    changed_.notify_all();
  }
}

}  // namespace spacelet::netpolicy

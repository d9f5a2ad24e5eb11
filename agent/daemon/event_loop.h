// spaceletd's event loop: a thin C++ face on sd-event (libsystemd). Every source is a move-only
// Source that disables and releases itself when destroyed, and owns its callback. The loop
// also sends systemd's watchdog pings (sd_event_set_watchdog) and takes work from other
// threads through post(), the only thread-safe call here.
// Thread-safety: everything but post() runs on the loop thread.
#pragma once

#include <systemd/sd-event.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::agent::daemon {

class EventLoop;

// One event source. Destroying it (or reset()) disables it and frees its callback.
class Source {
 public:
  Source() = default;
  Source(Source&&) noexcept = default;
  Source& operator=(Source&&) noexcept = default;
  ~Source() { reset(); }

  void reset();
  bool valid() const { return source_ != nullptr; }
  // Timers: fire once more, `after` from now.
  Result<void> rearm(std::chrono::microseconds after);
  // Stops a timer (or any source) from firing until it is rearmed.
  Result<void> disable();
  // IO: change the epoll events watched.
  Result<void> setIoEvents(uint32_t events);

 private:
  friend class EventLoop;
  struct Unref {
    void operator()(sd_event_source* s) const { sd_event_source_disable_unref(s); }
  };
  std::unique_ptr<sd_event_source, Unref> source_;
  std::shared_ptr<void> callback_;  // the std::function behind the userdata pointer
};

class EventLoop {
 public:
  static Result<std::unique_ptr<EventLoop>> create();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  using IoCallback = std::function<void(uint32_t revents)>;
  Result<Source> addIo(int fd, uint32_t events, IoCallback callback);
  // A one-shot timer on CLOCK_MONOTONIC; rearm() it to fire again.
  Result<Source> addTimer(std::chrono::microseconds after, std::function<void()> callback);
  // Blocks the signal in the calling thread (call before starting threads) and delivers it here.
  Result<Source> addSignal(int signal, std::function<void()> callback);
  // Runs once on the next iteration, before waiting for events.
  Result<Source> addDefer(std::function<void()> callback);

  // Thread-safe: runs fn on the loop thread soon. Work finished on a worker thread comes back
  // to the registry this way.
  void post(std::function<void()> fn);

  // Pings the systemd watchdog when WATCHDOG_USEC is set (no-op otherwise).
  Result<void> enableWatchdog();
  Result<int> run();
  void exit(int code);
  sd_event* handle() const { return event_; }

 private:
  explicit EventLoop(sd_event* event) : event_(event) {}
  Result<void> setUpPost();
  void drainPosted();

  sd_event* event_ = nullptr;
  UniqueFd postFd_;  // eventfd that wakes the loop for post()
  Source postSource_;
  std::mutex postMutex_;
  std::deque<std::function<void()>> posted_;
};

}  // namespace spacelet::agent::daemon

// sd-event wrapper (see event_loop.h). Callbacks are std::functions kept alive by the Source;
// the C trampolines below call them through the userdata pointer.
#include "agent/daemon/event_loop.h"

#include <signal.h>
#include <sys/eventfd.h>

namespace spacelet::agent::daemon {
namespace {

int onIo(sd_event_source*, int, uint32_t revents, void* userdata) {
  (*static_cast<EventLoop::IoCallback*>(userdata))(revents);
  return 0;
}

int onTime(sd_event_source*, uint64_t, void* userdata) {
  (*static_cast<std::function<void()>*>(userdata))();
  return 0;
}

int onSignal(sd_event_source*, const struct signalfd_siginfo*, void* userdata) {
  (*static_cast<std::function<void()>*>(userdata))();
  return 0;
}

int onDefer(sd_event_source*, void* userdata) {
  (*static_cast<std::function<void()>*>(userdata))();
  return 0;
}

Error sdError(int rc, const std::string& what) {
  return Error::fromErrno(-rc, what);
}

}  // namespace

void Source::reset() {
  source_.reset();
  callback_.reset();
}

Result<void> Source::rearm(std::chrono::microseconds after) {
  int rc = sd_event_source_set_time_relative(source_.get(), static_cast<uint64_t>(after.count()));
  if (rc >= 0) rc = sd_event_source_set_enabled(source_.get(), SD_EVENT_ONESHOT);
  if (rc < 0) return fail(sdError(rc, "rearm timer"));
  return {};
}

Result<void> Source::disable() {
  int rc = sd_event_source_set_enabled(source_.get(), SD_EVENT_OFF);
  if (rc < 0) return fail(sdError(rc, "disable event source"));
  return {};
}

Result<void> Source::setIoEvents(uint32_t events) {
  int rc = sd_event_source_set_io_events(source_.get(), events);
  if (rc < 0) return fail(sdError(rc, "set io events"));
  return {};
}

Result<std::unique_ptr<EventLoop>> EventLoop::create() {
  sd_event* event = nullptr;
  int rc = sd_event_new(&event);
  if (rc < 0) return fail(sdError(rc, "create event loop"));
  std::unique_ptr<EventLoop> loop(new EventLoop(event));
  SPACELET_TRY(loop->setUpPost());
  return loop;
}

EventLoop::~EventLoop() {
  postSource_.reset();
  sd_event_unref(event_);
}

Result<Source> EventLoop::addIo(int fd, uint32_t events, IoCallback callback) {
  auto cb = std::make_shared<IoCallback>(std::move(callback));
  sd_event_source* s = nullptr;
  int rc = sd_event_add_io(event_, &s, fd, events, onIo, cb.get());
  if (rc < 0) return fail(sdError(rc, "watch fd " + std::to_string(fd)));
  Source source;
  source.source_.reset(s);
  source.callback_ = std::move(cb);
  return source;
}

Result<Source> EventLoop::addTimer(std::chrono::microseconds after,
                                   std::function<void()> callback) {
  auto cb = std::make_shared<std::function<void()>>(std::move(callback));
  sd_event_source* s = nullptr;
  int rc = sd_event_add_time_relative(event_, &s, CLOCK_MONOTONIC,
                                      static_cast<uint64_t>(after.count()), 0, onTime, cb.get());
  if (rc < 0) return fail(sdError(rc, "add timer"));
  Source source;
  source.source_.reset(s);
  source.callback_ = std::move(cb);
  return source;
}

Result<Source> EventLoop::addSignal(int signal, std::function<void()> callback) {
  auto cb = std::make_shared<std::function<void()>>(std::move(callback));
  sd_event_source* s = nullptr;
  int rc = sd_event_add_signal(event_, &s, signal | SD_EVENT_SIGNAL_PROCMASK, onSignal, cb.get());
  if (rc < 0) return fail(sdError(rc, std::string("handle signal ") + sigabbrev_np(signal)));
  Source source;
  source.source_.reset(s);
  source.callback_ = std::move(cb);
  return source;
}

Result<Source> EventLoop::addDefer(std::function<void()> callback) {
  auto cb = std::make_shared<std::function<void()>>(std::move(callback));
  sd_event_source* s = nullptr;
  int rc = sd_event_add_defer(event_, &s, onDefer, cb.get());
  if (rc < 0) return fail(sdError(rc, "add deferred call"));
  rc = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
  Source source;
  source.source_.reset(s);
  source.callback_ = std::move(cb);
  if (rc < 0) return fail(sdError(rc, "add deferred call"));
  return source;
}

Result<void> EventLoop::setUpPost() {
  int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return failErrno(errno, "create eventfd");
  postFd_.reset(fd);
  auto source = addIo(fd, EPOLLIN, [this](uint32_t) { drainPosted(); });
  if (!source) return fail(std::move(source).error());
  postSource_ = std::move(*source);
  return {};
}

void EventLoop::post(std::function<void()> fn) {
  {
    std::lock_guard lock(postMutex_);
    posted_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  (void)!::write(postFd_.get(), &one, sizeof one);
}

void EventLoop::drainPosted() {
  uint64_t count = 0;
  (void)!::read(postFd_.get(), &count, sizeof count);
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard lock(postMutex_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) fn();
}

Result<void> EventLoop::enableWatchdog() {
  int rc = sd_event_set_watchdog(event_, 1);
  if (rc < 0) return fail(sdError(rc, "enable the systemd watchdog"));
  return {};
}

Result<int> EventLoop::run() {
  int rc = sd_event_loop(event_);
  if (rc < 0) return fail(sdError(rc, "run event loop"));
  return rc;
}

void EventLoop::exit(int code) {
  sd_event_exit(event_, code);
}

}  // namespace spacelet::agent::daemon

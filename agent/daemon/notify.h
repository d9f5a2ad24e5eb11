// What spaceletd tells systemd through $NOTIFY_SOCKET (never blocking for long; see
// notify.cc): READY=1 once it serves, STATUS= a one-line summary, RELOADING=1 / READY=1
// around a SIGHUP reload, STOPPING=1 on SIGTERM. Without $NOTIFY_SOCKET (outside systemd)
// every call is a no-op. Watchdog pings come from the event loop (EventLoop::enableWatchdog).
#pragma once

#include <string>

namespace spacelet::agent::daemon {

void notifyReady(const std::string& status);
void notifyStatus(const std::string& status);
void notifyReloading();
void notifyStopping();

}  // namespace spacelet::agent::daemon

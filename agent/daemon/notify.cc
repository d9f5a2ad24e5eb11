// sd_notify messages (see notify.h).
#include "agent/daemon/notify.h"

#include <systemd/sd-daemon.h>

namespace spacelet::agent::daemon {
namespace {

// STATUS is one line: newlines would end the assignment early.
std::string oneLine(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

}  // namespace

void notifyReady(const std::string& status) {
  sd_notify(0, ("READY=1\nSTATUS=" + oneLine(status)).c_str());
}

void notifyStatus(const std::string& status) {
  sd_notify(0, ("STATUS=" + oneLine(status)).c_str());
}

void notifyReloading() {
  sd_notify(0, "RELOADING=1\nSTATUS=Reloading configuration");
}

void notifyStopping() {
  sd_notify(0, "STOPPING=1\nSTATUS=Stopping");
}

}  // namespace spacelet::agent::daemon

// sd-bus calls of the systemd driver (see systemd_bus.h). sd-bus handles get RAII owners;
// errors carry the D-Bus error name and message, which say what systemd disliked.
#include "systemd_bus.h"

#include <systemd/sd-bus.h>

#include <chrono>
#include <map>
#include <memory>

namespace spacelet::sandbox::cgroup {
namespace {

constexpr char kService[] = "org.freedesktop.systemd1";
constexpr char kPath[] = "/org/freedesktop/systemd1";
constexpr char kManager[] = "org.freedesktop.systemd1.Manager";

struct BusUnref {
  void operator()(sd_bus* bus) const { sd_bus_flush_close_unref(bus); }
};
struct MessageUnref {
  void operator()(sd_bus_message* m) const { sd_bus_message_unref(m); }
};
struct SlotUnref {
  void operator()(sd_bus_slot* s) const { sd_bus_slot_unref(s); }
};
using Bus = std::unique_ptr<sd_bus, BusUnref>;
using Message = std::unique_ptr<sd_bus_message, MessageUnref>;
using Slot = std::unique_ptr<sd_bus_slot, SlotUnref>;

// sd_bus_error with its free function.
struct BusError {
  sd_bus_error error = SD_BUS_ERROR_NULL;
  ~BusError() { sd_bus_error_free(&error); }
  Error describe(int r, const std::string& what) const {
    if (sd_bus_error_is_set(&error)) {
      return Error{-r, what + ": " + error.name + ": " + (error.message ? error.message : "")};
    }
    return Error::fromErrno(-r, what);
  }
};

// The system bus, or systemd's private socket when no D-Bus daemon runs (root only).
Result<Bus> connect() {
  sd_bus* bus = nullptr;
  if (sd_bus_open_system(&bus) >= 0) return Bus(bus);
  int r = sd_bus_new(&bus);
  if (r < 0) return failErrno(-r, "create an sd-bus connection");
  Bus owned(bus);
  r = sd_bus_set_address(bus, "unix:path=/run/systemd/private");
  if (r >= 0) r = sd_bus_start(bus);
  if (r < 0) {
    return failErrno(-r, "connect to systemd (neither the system bus nor " +
                             std::string("/run/systemd/private) is there; is systemd PID 1?)"));
  }
  return owned;
}

int appendVariant(sd_bus_message* m, const PropertyValue& value) {
  if (auto* b = std::get_if<bool>(&value)) return sd_bus_message_append(m, "v", "b", int{*b});
  if (auto* t = std::get_if<uint64_t>(&value)) return sd_bus_message_append(m, "v", "t", *t);
  if (auto* s = std::get_if<std::string>(&value)) {
    return sd_bus_message_append(m, "v", "s", s->c_str());
  }
  if (auto* au = std::get_if<std::vector<uint32_t>>(&value)) {
    int r = sd_bus_message_open_container(m, 'v', "au");
    if (r >= 0) r = sd_bus_message_append_array(m, 'u', au->data(), au->size() * sizeof(uint32_t));
    return r < 0 ? r : sd_bus_message_close_container(m);
  }
  if (auto* ay = std::get_if<std::vector<uint8_t>>(&value)) {
    int r = sd_bus_message_open_container(m, 'v', "ay");
    if (r >= 0) r = sd_bus_message_append_array(m, 'y', ay->data(), ay->size());
    return r < 0 ? r : sd_bus_message_close_container(m);
  }
  const auto& pairs = std::get<std::vector<std::pair<std::string, std::string>>>(value);
  int r = sd_bus_message_open_container(m, 'v', "a(ss)");
  if (r >= 0) r = sd_bus_message_open_container(m, 'a', "(ss)");
  for (const auto& [first, second] : pairs) {
    if (r >= 0) r = sd_bus_message_append(m, "(ss)", first.c_str(), second.c_str());
  }
  if (r >= 0) r = sd_bus_message_close_container(m);
  return r < 0 ? r : sd_bus_message_close_container(m);
}

int appendProperties(sd_bus_message* m, const std::vector<UnitProperty>& properties) {
  int r = sd_bus_message_open_container(m, 'a', "(sv)");
  for (const UnitProperty& p : properties) {
    if (r >= 0) r = sd_bus_message_open_container(m, 'r', "sv");
    if (r >= 0) r = sd_bus_message_append(m, "s", p.name.c_str());
    if (r >= 0) r = appendVariant(m, p.value);
    if (r >= 0) r = sd_bus_message_close_container(m);
  }
  return r < 0 ? r : sd_bus_message_close_container(m);
}

// Job paths and their results, as JobRemoved signals arrive.
using RemovedJobs = std::map<std::string, std::string>;

int onJobRemoved(sd_bus_message* m, void* userdata, sd_bus_error*) {
  uint32_t id;
  const char *path, *unit, *result;
  if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) >= 0) {
    (*static_cast<RemovedJobs*>(userdata))[path] = result;
  }
  return 0;
}

Result<Slot> watchJobs(sd_bus* bus, RemovedJobs& removed) {
  sd_bus_slot* slot = nullptr;
  int r = sd_bus_match_signal(bus, &slot, kService, kPath, kManager, "JobRemoved", onJobRemoved,
                              &removed);
  if (r < 0) return failErrno(-r, "watch systemd's JobRemoved signal");
  return Slot(slot);
}

Result<std::string> waitForJob(sd_bus* bus, sd_bus_message* reply, RemovedJobs& removed,
                               int timeoutMs) {
  const char* job = nullptr;
  int r = sd_bus_message_read(reply, "o", &job);
  if (r < 0) return failErrno(-r, "read systemd's job path");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  while (!removed.count(job)) {
    r = sd_bus_process(bus, nullptr);
    if (r < 0) return failErrno(-r, "talk to systemd");
    if (r > 0) continue;
    auto left = std::chrono::duration_cast<std::chrono::microseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return failErrno(ETIMEDOUT,
                       "wait " + std::to_string(timeoutMs) + " ms for systemd job " + job);
    }
    r = sd_bus_wait(bus, static_cast<uint64_t>(left.count()));
    if (r < 0 && r != -EINTR) return failErrno(-r, "wait for systemd");
  }
  return removed[job];
}

Result<Message> newManagerCall(sd_bus* bus, const char* method) {
  sd_bus_message* m = nullptr;
  int r = sd_bus_message_new_method_call(bus, &m, kService, kPath, kManager, method);
  if (r < 0) return failErrno(-r, std::string("build systemd call ") + method);
  return Message(m);
}

}  // namespace

Result<void> startTransientUnit(const std::string& unit,
                                const std::vector<UnitProperty>& properties, int timeoutMs) {
  auto bus = connect();
  SPACELET_TRY(bus);
  RemovedJobs removed;
  auto slot = watchJobs(bus->get(), removed);
  SPACELET_TRY(slot);
  auto call = newManagerCall(bus->get(), "StartTransientUnit");
  SPACELET_TRY(call);
  sd_bus_message* m = call->get();
  int r = sd_bus_message_append(m, "ss", unit.c_str(), "fail");
  if (r >= 0) r = appendProperties(m, properties);
  if (r >= 0) r = sd_bus_message_append(m, "a(sa(sv))", 0);
  if (r < 0) return failErrno(-r, "build StartTransientUnit for '" + unit + "'");
  BusError error;
  sd_bus_message* reply = nullptr;
  r = sd_bus_call(bus->get(), m, uint64_t(timeoutMs) * 1000, &error.error, &reply);
  Message ownedReply(reply);
  if (r < 0) return fail(error.describe(r, "start systemd unit '" + unit + "'"));
  auto result = waitForJob(bus->get(), reply, removed, timeoutMs);
  SPACELET_TRY(result);
  if (*result != "done") {
    return failInvalid("start systemd unit '" + unit + "': the job ended '" + *result +
                       "' (see journalctl -u " + unit + ")");
  }
  return {};
}

Result<void> setUnitProperties(const std::string& unit,
                               const std::vector<UnitProperty>& properties) {
  auto bus = connect();
  SPACELET_TRY(bus);
  auto call = newManagerCall(bus->get(), "SetUnitProperties");
  SPACELET_TRY(call);
  int r = sd_bus_message_append(call->get(), "sb", unit.c_str(), 1);
  if (r >= 0) r = appendProperties(call->get(), properties);
  if (r < 0) return failErrno(-r, "build SetUnitProperties for '" + unit + "'");
  BusError error;
  r = sd_bus_call(bus->get(), call->get(), 0, &error.error, nullptr);
  if (r < 0) return fail(error.describe(r, "set properties of systemd unit '" + unit + "'"));
  return {};
}

Result<void> stopUnit(const std::string& unit, int timeoutMs) {
  auto bus = connect();
  SPACELET_TRY(bus);
  RemovedJobs removed;
  auto slot = watchJobs(bus->get(), removed);
  SPACELET_TRY(slot);
  BusError error;
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call_method(bus->get(), kService, kPath, kManager, "StopUnit", &error.error,
                             &reply, "ss", unit.c_str(), "fail");
  Message ownedReply(reply);
  if (r < 0 && sd_bus_error_has_name(&error.error, "org.freedesktop.systemd1.NoSuchUnit")) {
    return {};
  }
  if (r < 0) return fail(error.describe(r, "stop systemd unit '" + unit + "'"));
  auto result = waitForJob(bus->get(), reply, removed, timeoutMs);
  SPACELET_TRY(result);
  return {};
}

}  // namespace spacelet::sandbox::cgroup

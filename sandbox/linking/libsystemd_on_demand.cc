// spacelet-run loads libsystemd only when the systemd cgroup driver is used. The driver
// (sandbox/cgroup/systemd_bus.cc) calls sd-bus directly; this file gives the executable
// those sd_bus_* symbols, each resolving the real one with dlopen/dlsym on first use, so
// the link drops libsystemd (-Wl,--as-needed) and with it libgcrypt, lz4, zstd, lzma and
// libcap. Every `spacelet-run run` thus skips loading and relocating them (about 1 MiB of
// resident memory and a millisecond of startup); only --systemd-cgroup pays.
// The loaded library is process-wide by nature (the dynamic loader is), so the table is a
// function-local static, like the log sink.
#include <dlfcn.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>

namespace {

void* library() {
  static void* handle = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  return handle;
}

// The real function `name`, or nullptr when libsystemd is not installed.
template <typename Fn>
Fn real(const char* name) {
  void* lib = library();
  return lib == nullptr ? nullptr : reinterpret_cast<Fn>(::dlsym(lib, name));
}

// -ELIBACC ("cannot access a needed shared library") when libsystemd is missing: the driver
// reports it with the call that failed.
constexpr int kMissing = -ELIBACC;

}  // namespace

#define SPACELET_FORWARD(ret, name, params, args, missing) \
  extern "C" ret name params {                             \
    static auto fn = real<ret(*) params>(#name);           \
    return fn == nullptr ? missing : fn args;              \
  }

SPACELET_FORWARD(int, sd_bus_open_system, (sd_bus * *ret), (ret), kMissing)
SPACELET_FORWARD(int, sd_bus_new, (sd_bus * *ret), (ret), kMissing)
SPACELET_FORWARD(int, sd_bus_set_address, (sd_bus * bus, const char* address), (bus, address),
                 kMissing)
SPACELET_FORWARD(int, sd_bus_start, (sd_bus * bus), (bus), kMissing)
SPACELET_FORWARD(sd_bus*, sd_bus_flush_close_unref, (sd_bus * bus), (bus), nullptr)
SPACELET_FORWARD(int, sd_bus_call,
                 (sd_bus * bus, sd_bus_message* m, uint64_t usec, sd_bus_error* error,
                  sd_bus_message** reply),
                 (bus, m, usec, error, reply), kMissing)
SPACELET_FORWARD(int, sd_bus_process, (sd_bus * bus, sd_bus_message** r), (bus, r), kMissing)
SPACELET_FORWARD(int, sd_bus_wait, (sd_bus * bus, uint64_t timeout), (bus, timeout), kMissing)
SPACELET_FORWARD(sd_bus_slot*, sd_bus_slot_unref, (sd_bus_slot * slot), (slot), nullptr)
SPACELET_FORWARD(int, sd_bus_message_new_method_call,
                 (sd_bus * bus, sd_bus_message** m, const char* destination, const char* path,
                  const char* interface, const char* member),
                 (bus, m, destination, path, interface, member), kMissing)
SPACELET_FORWARD(sd_bus_message*, sd_bus_message_unref, (sd_bus_message * m), (m), nullptr)
SPACELET_FORWARD(int, sd_bus_message_append_array,
                 (sd_bus_message * m, char type, const void* ptr, size_t size),
                 (m, type, ptr, size), kMissing)
SPACELET_FORWARD(int, sd_bus_message_open_container,
                 (sd_bus_message * m, char type, const char* contents), (m, type, contents),
                 kMissing)
SPACELET_FORWARD(int, sd_bus_message_close_container, (sd_bus_message * m), (m), kMissing)
SPACELET_FORWARD(int, sd_bus_match_signal,
                 (sd_bus * bus, sd_bus_slot** ret, const char* sender, const char* path,
                  const char* interface, const char* member, sd_bus_message_handler_t callback,
                  void* userdata),
                 (bus, ret, sender, path, interface, member, callback, userdata), kMissing)

// The variadic calls forward to their va_list twins.
extern "C" int sd_bus_message_append(sd_bus_message* m, const char* types, ...) {
  static auto fn = real<int (*)(sd_bus_message*, const char*, va_list)>("sd_bus_message_appendv");
  if (fn == nullptr) return kMissing;
  va_list ap;
  va_start(ap, types);
  int r = fn(m, types, ap);
  va_end(ap);
  return r;
}

extern "C" int sd_bus_message_read(sd_bus_message* m, const char* types, ...) {
  static auto fn = real<int (*)(sd_bus_message*, const char*, va_list)>("sd_bus_message_readv");
  if (fn == nullptr) return kMissing;
  va_list ap;
  va_start(ap, types);
  int r = fn(m, types, ap);
  va_end(ap);
  return r;
}

extern "C" int sd_bus_call_method(sd_bus* bus, const char* destination, const char* path,
                                  const char* interface, const char* member, sd_bus_error* error,
                                  sd_bus_message** reply, const char* types, ...) {
  using Fn = int (*)(sd_bus*, const char*, const char*, const char*, const char*, sd_bus_error*,
                     sd_bus_message**, const char*, va_list);
  static auto fn = real<Fn>("sd_bus_call_methodv");
  if (fn == nullptr) return kMissing;
  va_list ap;
  va_start(ap, types);
  int r = fn(bus, destination, path, interface, member, error, reply, types, ap);
  va_end(ap);
  return r;
}

// Errors: only libsystemd fills them, so without it they are always empty.
extern "C" void sd_bus_error_free(sd_bus_error* e) {
  static auto fn = real<void (*)(sd_bus_error*)>("sd_bus_error_free");
  if (fn != nullptr) fn(e);
}

extern "C" int sd_bus_error_is_set(const sd_bus_error* e) {
  return e != nullptr && e->name != nullptr;
}

extern "C" int sd_bus_error_has_name(const sd_bus_error* e, const char* name) {
  return sd_bus_error_is_set(e) && name != nullptr && std::strcmp(e->name, name) == 0;
}

// sd_booted(3): "systemd is the init system" is the existence of /run/systemd/system/.
extern "C" int sd_booted(void) {
  return ::access("/run/systemd/system/", F_OK) == 0 ? 1 : 0;
}

// bpf(2) calls for the device filter (see device_bpf.h). glibc has no wrapper for bpf(2).
#include "device_bpf.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "device_program.h"

namespace spacelet::sandbox::cgroup {
namespace {

long bpfCall(int cmd, union bpf_attr& attr) {
  return ::syscall(SYS_bpf, cmd, &attr, sizeof attr);
}

Result<UniqueFd> programById(uint32_t id) {
  union bpf_attr attr {};
  attr.prog_id = id;
  long fd = bpfCall(BPF_PROG_GET_FD_BY_ID, attr);
  if (fd < 0) return failErrno(errno, "open BPF program " + std::to_string(id));
  return UniqueFd(static_cast<int>(fd));
}

Result<std::string> programName(int progFd) {
  struct bpf_prog_info info {};
  union bpf_attr attr {};
  attr.info.bpf_fd = static_cast<uint32_t>(progFd);
  attr.info.info_len = sizeof info;
  attr.info.info = reinterpret_cast<uint64_t>(&info);
  if (bpfCall(BPF_OBJ_GET_INFO_BY_FD, attr) != 0) return failErrno(errno, "BPF program info");
  return std::string(info.name, strnlen(info.name, sizeof info.name));
}

Result<std::vector<uint32_t>> attachedPrograms(int cgroupFd) {
  std::vector<uint32_t> ids(64);
  union bpf_attr attr {};
  attr.query.target_fd = static_cast<uint32_t>(cgroupFd);
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = reinterpret_cast<uint64_t>(ids.data());
  attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
  if (bpfCall(BPF_PROG_QUERY, attr) != 0) {
    return failErrno(errno, "query the cgroup's device programs");
  }
  ids.resize(attr.query.prog_cnt);
  return ids;
}

Result<void> detach(int cgroupFd, int progFd) {
  union bpf_attr attr {};
  attr.target_fd = static_cast<uint32_t>(cgroupFd);
  attr.attach_bpf_fd = static_cast<uint32_t>(progFd);
  attr.attach_type = BPF_CGROUP_DEVICE;
  if (bpfCall(BPF_PROG_DETACH, attr) != 0 && errno != ENOENT) {
    return failErrno(errno, "detach the previous device program");
  }
  return {};
}

}  // namespace

Result<UniqueFd> loadDeviceProgram(const std::vector<struct bpf_insn>& program) {
  static constexpr char kLicense[] = "Apache-2.0";
  union bpf_attr attr {};
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uint64_t>(program.data());
  attr.insn_cnt = static_cast<uint32_t>(program.size());
  attr.license = reinterpret_cast<uint64_t>(kLicense);
  std::memcpy(attr.prog_name, kDeviceProgramName, sizeof kDeviceProgramName);
  long fd = bpfCall(BPF_PROG_LOAD, attr);
  if (fd >= 0) return UniqueFd(static_cast<int>(fd));
  int err = errno;
  // Load again with the verifier's log, only to explain the failure (the log costs time).
  std::string log(64 * 1024, '\0');
  attr.log_buf = reinterpret_cast<uint64_t>(log.data());
  attr.log_size = static_cast<uint32_t>(log.size());
  attr.log_level = 1;
  fd = bpfCall(BPF_PROG_LOAD, attr);
  if (fd >= 0) ::close(static_cast<int>(fd));
  log.resize(strnlen(log.data(), log.size()));
  return failErrno(err, "load the device BPF program" +
                            (log.empty() ? std::string() : " (verifier: " + log + ")"));
}

Result<std::vector<uint32_t>> spaceletDevicePrograms(int cgroupFd) {
  auto ids = attachedPrograms(cgroupFd);
  SPACELET_TRY(ids);
  std::vector<uint32_t> ours;
  for (uint32_t id : *ids) {
    auto fd = programById(id);
    if (!fd) continue;  // detached meanwhile
    auto name = programName(fd->get());
    SPACELET_TRY(name);
    if (*name == kDeviceProgramName) ours.push_back(id);
  }
  return ours;
}

Result<void> installDeviceFilter(int cgroupFd, const std::vector<DeviceRule>& rules) {
  auto previous = spaceletDevicePrograms(cgroupFd);
  SPACELET_TRY(previous);
  auto prog = loadDeviceProgram(assembleDeviceProgram(rules));
  SPACELET_TRY(prog);
  union bpf_attr attr {};
  attr.target_fd = static_cast<uint32_t>(cgroupFd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog->get());
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpfCall(BPF_PROG_ATTACH, attr) != 0) {
    return failErrno(errno, "attach the device BPF program");
  }
  for (uint32_t id : *previous) {
    auto old = programById(id);
    if (!old) continue;
    SPACELET_TRY(detach(cgroupFd, old->get()));
  }
  return {};
}

}  // namespace spacelet::sandbox::cgroup

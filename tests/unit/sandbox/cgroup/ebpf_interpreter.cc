// The test-only eBPF interpreter (see ebpf_interpreter.h).
#include "ebpf_interpreter.h"

#include <cstring>

namespace spacelet::sandbox::cgroup::testing {
namespace {

bool jumpTaken(uint8_t op, uint64_t reg, int32_t imm) {
  uint64_t k = static_cast<uint64_t>(static_cast<int64_t>(imm));
  switch (op) {
    case BPF_JEQ:
      return reg == k;
    case BPF_JNE:
      return reg != k;
  }
  return false;
}

}  // namespace

RunResult runDeviceProgram(const std::vector<bpf_insn>& program, const bpf_cgroup_dev_ctx& ctx) {
  uint64_t reg[11] = {};
  size_t pc = 0;
  for (size_t steps = 0; steps < 100000; ++steps) {
    if (pc >= program.size()) return {false, 0, "ran off the end at " + std::to_string(pc)};
    const bpf_insn& i = program[pc++];
    uint8_t cls = BPF_CLASS(i.code);
    if (i.code == (BPF_LDX | BPF_W | BPF_MEM)) {
      if (i.src_reg != BPF_REG_1 || i.off < 0 || i.off + 4 > int(sizeof ctx)) {
        return {false, 0, "bad load at " + std::to_string(pc - 1)};
      }
      uint32_t v;
      std::memcpy(&v, reinterpret_cast<const char*>(&ctx) + i.off, 4);
      reg[i.dst_reg] = v;
    } else if (cls == BPF_ALU64) {
      uint64_t src =
          BPF_SRC(i.code) == BPF_X ? reg[i.src_reg] : static_cast<uint64_t>(int64_t{i.imm});
      switch (BPF_OP(i.code)) {
        case BPF_MOV:
          reg[i.dst_reg] = src;
          break;
        case BPF_AND:
          reg[i.dst_reg] &= src;
          break;
        case BPF_RSH:
          reg[i.dst_reg] >>= src;
          break;
        default:
          return {false, 0, "unknown ALU op at " + std::to_string(pc - 1)};
      }
    } else if (cls == BPF_JMP) {
      uint8_t op = BPF_OP(i.code);
      if (op == BPF_EXIT) return {true, reg[0], ""};
      bool taken = op == BPF_JA || jumpTaken(op, reg[i.dst_reg], i.imm);
      if (op != BPF_JA && op != BPF_JEQ && op != BPF_JNE) {
        return {false, 0, "unknown jump at " + std::to_string(pc - 1)};
      }
      if (taken) {
        long target = long(pc) + i.off;
        if (target < 0 || target >= long(program.size())) {
          return {false, 0, "jump out of the program at " + std::to_string(pc - 1)};
        }
        pc = static_cast<size_t>(target);
      }
    } else {
      return {false, 0, "unknown opcode at " + std::to_string(pc - 1)};
    }
  }
  return {false, 0, "did not finish"};
}

RunResult checkDevice(const std::vector<bpf_insn>& program, char type, uint32_t major,
                      uint32_t minor, uint32_t access) {
  bpf_cgroup_dev_ctx ctx{};
  uint32_t t = type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
  ctx.access_type = (access << 16) | t;
  ctx.major = major;
  ctx.minor = minor;
  return runDeviceProgram(program, ctx);
}

std::vector<size_t> unreachableInstructions(const std::vector<bpf_insn>& program) {
  std::vector<bool> seen(program.size(), false);
  std::vector<size_t> todo{0};
  while (!todo.empty()) {
    size_t pc = todo.back();
    todo.pop_back();
    if (pc >= program.size() || seen[pc]) continue;
    seen[pc] = true;
    const bpf_insn& i = program[pc];
    bool isJump = BPF_CLASS(i.code) == BPF_JMP;
    if (isJump && BPF_OP(i.code) == BPF_EXIT) continue;
    if (isJump) todo.push_back(pc + 1 + i.off);
    if (!isJump || BPF_OP(i.code) != BPF_JA) todo.push_back(pc + 1);
  }
  std::vector<size_t> out;
  for (size_t pc = 0; pc < program.size(); ++pc) {
    if (!seen[pc]) out.push_back(pc);
  }
  return out;
}

}  // namespace spacelet::sandbox::cgroup::testing

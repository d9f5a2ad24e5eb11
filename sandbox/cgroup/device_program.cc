// The device program assembler (see device_program.h). Register use, fixed for the whole
// program: r2 = device type, r3 = requested access bits, r4 = major, r5 = minor, r6 = scratch.
#include "device_program.h"

#include <cstddef>
#include <string>

namespace spacelet::sandbox::cgroup {
namespace {

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

// A tiny assembler with forward labels: jumps are recorded and patched when placed.
class Assembler {
 public:
  using Label = size_t;

  void loadCtx(uint8_t dst, int16_t offset) {
    code_.push_back(insn(BPF_LDX | BPF_W | BPF_MEM, dst, BPF_REG_1, offset, 0));
  }
  void alu(uint8_t op, uint8_t dst, int32_t imm) {
    code_.push_back(insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm));
  }
  void movReg(uint8_t dst, uint8_t src) {
    code_.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0));
  }
  void exitWith(int32_t verdict) {
    alu(BPF_MOV, BPF_REG_0, verdict);
    code_.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  }
  Label newLabel() {
    targets_.push_back(SIZE_MAX);
    return targets_.size() - 1;
  }
  // if (dst <op> imm) goto label
  void jumpIf(uint8_t op, uint8_t dst, int32_t imm, Label label) {
    fixups_.push_back({code_.size(), label});
    code_.push_back(insn(BPF_JMP | op | BPF_K, dst, 0, 0, imm));
  }
  void jump(Label label) {
    fixups_.push_back({code_.size(), label});
    code_.push_back(insn(BPF_JMP | BPF_JA, 0, 0, 0, 0));
  }
  void place(Label label) { targets_[label] = code_.size(); }

  std::vector<bpf_insn> finish() {
    for (const auto& [at, label] : fixups_) {
      code_[at].off = static_cast<int16_t>(targets_[label] - at - 1);  // relative to next
    }
    return std::move(code_);
  }

 private:
  std::vector<bpf_insn> code_;
  std::vector<size_t> targets_;
  std::vector<std::pair<size_t, Label>> fixups_;
};

uint32_t accessBit(char c) {
  switch (c) {
    case 'm':
      return BPF_DEVCG_ACC_MKNOD;
    case 'r':
      return BPF_DEVCG_ACC_READ;
    case 'w':
      return BPF_DEVCG_ACC_WRITE;
  }
  return 0;
}

bool grants(const DeviceRule& rule, uint32_t bit) {
  for (char c : rule.access) {
    if (accessBit(c) == bit) return true;
  }
  return false;
}

bool matchesEverything(const DeviceRule& rule) {
  return rule.type == 'a' && rule.major < 0 && rule.minor < 0;
}

// Emits the test of one rule: on a match, either deny or jump to `allowed`; on a miss, fall
// through to the next rule.
void emitRule(Assembler& a, const DeviceRule& rule, Assembler::Label allowed) {
  Assembler::Label miss = a.newLabel();
  if (rule.type != 'a') {
    a.jumpIf(BPF_JNE, BPF_REG_2, rule.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, miss);
  }
  if (rule.major >= 0) a.jumpIf(BPF_JNE, BPF_REG_4, static_cast<int32_t>(rule.major), miss);
  if (rule.minor >= 0) a.jumpIf(BPF_JNE, BPF_REG_5, static_cast<int32_t>(rule.minor), miss);
  if (rule.allow) {
    a.jump(allowed);
  } else {
    a.exitWith(0);
  }
  a.place(miss);
}

// The decision for one access bit: skipped when not requested, else the rules newest first.
void emitAccessBit(Assembler& a, const std::vector<DeviceRule>& rules, uint32_t bit) {
  Assembler::Label next = a.newLabel();
  a.movReg(BPF_REG_6, BPF_REG_3);
  a.alu(BPF_AND, BPF_REG_6, static_cast<int32_t>(bit));
  a.jumpIf(BPF_JEQ, BPF_REG_6, 0, next);
  bool decided = false;
  for (auto it = rules.rbegin(); it != rules.rend() && !decided; ++it) {
    if (!grants(*it, bit)) continue;
    if (matchesEverything(*it)) {
      // Nothing after an unconditional match is reachable, and the verifier refuses
      // unreachable instructions: end this bit here.
      if (it->allow) {
        a.jump(next);
      } else {
        a.exitWith(0);
      }
      decided = true;
    } else {
      emitRule(a, *it, next);
    }
  }
  if (!decided) a.exitWith(0);
  a.place(next);
}

}  // namespace

std::vector<bpf_insn> assembleDeviceProgram(const std::vector<DeviceRule>& rules) {
  Assembler a;
  a.loadCtx(BPF_REG_2, offsetof(bpf_cgroup_dev_ctx, access_type));
  a.movReg(BPF_REG_3, BPF_REG_2);
  a.alu(BPF_RSH, BPF_REG_3, 16);
  a.alu(BPF_AND, BPF_REG_2, 0xffff);
  a.loadCtx(BPF_REG_4, offsetof(bpf_cgroup_dev_ctx, major));
  a.loadCtx(BPF_REG_5, offsetof(bpf_cgroup_dev_ctx, minor));
  for (uint32_t bit : {BPF_DEVCG_ACC_MKNOD, BPF_DEVCG_ACC_READ, BPF_DEVCG_ACC_WRITE}) {
    emitAccessBit(a, rules, bit);
  }
  a.exitWith(1);
  return a.finish();
}

}  // namespace spacelet::sandbox::cgroup

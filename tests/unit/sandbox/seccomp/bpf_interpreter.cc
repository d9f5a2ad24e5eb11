// The classic-BPF interpreter for seccomp programs (see bpf_interpreter.h). Loads read
// 32-bit words of struct seccomp_data, as the kernel's seccomp BPF does.
#include "bpf_interpreter.h"

#include <gtest/gtest.h>

#include <cstring>

namespace spacelet::sandbox::seccomp::testing {
namespace {

constexpr uint32_t kBadProgram = 0xdeadbeef;

uint32_t loadWord(const struct seccomp_data& data, uint32_t offset) {
  uint32_t word = 0;
  if (offset + sizeof word > sizeof data) {
    ADD_FAILURE() << "load beyond seccomp_data at offset " << offset;
    return 0;
  }
  std::memcpy(&word, reinterpret_cast<const char*>(&data) + offset, sizeof word);
  return word;
}

bool jumpTaken(uint16_t code, uint32_t a, uint32_t operand) {
  switch (BPF_OP(code)) {
    case BPF_JEQ:
      return a == operand;
    case BPF_JGT:
      return a > operand;
    case BPF_JGE:
      return a >= operand;
    case BPF_JSET:
      return (a & operand) != 0;
  }
  ADD_FAILURE() << "unsupported jump opcode " << code;
  return false;
}

uint32_t alu(uint16_t code, uint32_t a, uint32_t operand) {
  switch (BPF_OP(code)) {
    case BPF_AND:
      return a & operand;
    case BPF_OR:
      return a | operand;
    case BPF_ADD:
      return a + operand;
    case BPF_SUB:
      return a - operand;
    case BPF_LSH:
      return a << operand;
    case BPF_RSH:
      return a >> operand;
  }
  ADD_FAILURE() << "unsupported ALU opcode " << code;
  return 0;
}

}  // namespace

uint32_t run(const std::vector<struct sock_filter>& program, const Call& call) {
  struct seccomp_data data {};
  data.nr = call.nr;
  data.arch = call.arch;
  for (size_t i = 0; i < call.args.size(); ++i) data.args[i] = call.args[i];
  uint32_t a = 0, x = 0;
  std::array<uint32_t, BPF_MEMWORDS> mem{};
  for (size_t pc = 0; pc < program.size(); ++pc) {
    const struct sock_filter& in = program[pc];
    uint32_t operand = BPF_SRC(in.code) == BPF_X ? x : in.k;
    switch (BPF_CLASS(in.code)) {
      case BPF_LD:
        if (BPF_MODE(in.code) == BPF_ABS)
          a = loadWord(data, in.k);
        else if (BPF_MODE(in.code) == BPF_MEM)
          a = mem.at(in.k);
        else if (BPF_MODE(in.code) == BPF_IMM)
          a = in.k;
        else
          return ADD_FAILURE() << "unsupported load " << in.code, kBadProgram;
        break;
      case BPF_LDX:
        x = BPF_MODE(in.code) == BPF_MEM ? mem.at(in.k) : in.k;
        break;
      case BPF_ST:
        mem.at(in.k) = a;
        break;
      case BPF_STX:
        mem.at(in.k) = x;
        break;
      case BPF_ALU:
        a = alu(in.code, a, operand);
        break;
      case BPF_JMP:
        if (BPF_OP(in.code) == BPF_JA)
          pc += in.k;
        else
          pc += jumpTaken(in.code, a, operand) ? in.jt : in.jf;
        break;
      case BPF_RET:
        return BPF_RVAL(in.code) == BPF_A ? a : in.k;
      case BPF_MISC:
        if (BPF_MISCOP(in.code) == BPF_TAX)
          x = a;
        else
          a = x;
        break;
    }
  }
  ADD_FAILURE() << "the program fell off its end";
  return kBadProgram;
}

}  // namespace spacelet::sandbox::seccomp::testing

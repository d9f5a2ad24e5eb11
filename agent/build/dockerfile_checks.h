// Per-instruction checks of the Dockerfile parser: arity, forms and flag values, each error
// naming the line and the instruction. Private to agent/build.
#pragma once

#include "agent/build/dockerfile.h"

namespace spacelet::agent::build {

Result<void> checkInstruction(const Instruction& ins, char escape);

}  // namespace spacelet::agent::build

// How kernel-facing steps that run in the child after clone report failure without
// allocating: an errno, a static description and the subject (a path or name that lives in
// the plan prepared before clone). The child copies it into the fixed-size record it sends
// on the sync socket; the parent turns it into an Error.
#pragma once

#include <cerrno>

namespace spacelet::sandbox::linux {

struct StepError {
  int code = 0;
  const char* what = nullptr;     // static text, e.g. "mount proc on"
  const char* subject = nullptr;  // e.g. "/proc"; may be null
  bool failed() const { return what != nullptr; }
};

inline StepError stepOk() {
  return {};
}
// Call right after the failing call so that errno is the one it set.
inline StepError stepFail(const char* what, const char* subject = nullptr, int code = errno) {
  return StepError{code, what, subject};
}

// Returns early from a step function when `expr` (a StepError) failed.
#define SPACELET_STEP(expr)                            \
  do {                                                 \
    ::spacelet::sandbox::linux::StepError e_ = (expr); \
    if (e_.failed()) return e_;                        \
  } while (0)

}  // namespace spacelet::sandbox::linux

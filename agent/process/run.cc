// run(): spawn a short command, feed its stdin and collect its output with one poll() loop,
// so a child that writes a lot before reading its input cannot deadlock against us.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>

#include <chrono>

#include "agent/process/spawn.h"

namespace spacelet::agent::process {
namespace {

using Clock = std::chrono::steady_clock;

// Reads what is available from fd into out (up to cap); closes fd at EOF.
Result<void> drain(UniqueFd& fd, std::string& out, size_t cap) {
  char buf[16384];
  ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return {};
    return failErrno(errno, "read child output");
  }
  if (n == 0) {
    fd.reset();
    return {};
  }
  size_t room = out.size() < cap ? cap - out.size() : 0;
  out.append(buf, std::min(room, static_cast<size_t>(n)));
  return {};
}

// Writes the next part of input; closes stdin when done or when the child closed its end.
void feed(UniqueFd& fd, std::string_view& input) {
  ssize_t n = ::write(fd.get(), input.data(), input.size());
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return;
    fd.reset();  // EPIPE: the child does not want the rest
    return;
  }
  input.remove_prefix(static_cast<size_t>(n));
  if (input.empty()) fd.reset();
}

int pollTimeoutMs(const RunOptions& ro, Clock::time_point deadline) {
  if (ro.timeout.count() == 0) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

Result<void> pump(Child& child, const RunOptions& ro, RunResult& result) {
  std::string_view input = ro.input;
  if (input.empty()) child.stdinPipe.reset();
  if (child.stdinPipe) ::fcntl(child.stdinPipe.get(), F_SETFL, O_NONBLOCK);
  auto deadline = Clock::now() + ro.timeout;
  while (child.stdinPipe || child.stdoutPipe || child.stderrPipe) {
    struct pollfd fds[3] = {{child.stdinPipe.get(), POLLOUT, 0},
                            {child.stdoutPipe.get(), POLLIN, 0},
                            {child.stderrPipe.get(), POLLIN, 0}};
    int n = ::poll(fds, 3, pollTimeoutMs(ro, deadline));  // negative fds are ignored by poll
    if (n < 0 && errno != EINTR) return failErrno(errno, "poll child pipes");
    if (n == 0) {
      result.timedOut = true;
      return {};
    }
    if (fds[0].revents) feed(child.stdinPipe, input);
    if (fds[1].revents) SPACELET_TRY(drain(child.stdoutPipe, result.output, ro.maxOutputBytes));
    if (fds[2].revents) SPACELET_TRY(drain(child.stderrPipe, result.errors, ro.maxOutputBytes));
  }
  return {};
}

}  // namespace

Result<RunResult> run(SpawnOptions options, const RunOptions& runOptions) {
  options.stdinMode = Stream::kPipe;
  options.stdoutMode = Stream::kPipe;
  if (!options.mergeStderr) options.stderrMode = Stream::kPipe;
  auto child = spawn(options);
  if (!child) return fail(std::move(child).error());
  RunResult result;
  auto pumped = pump(*child, runOptions, result);
  if (!pumped || result.timedOut) (void)child->signal(SIGKILL, options.newProcessGroup);
  auto status = child->wait();
  if (!status) return fail(std::move(status).error());
  if (!pumped) return fail(std::move(pumped).error().withContext("run '" + options.argv[0] + "'"));
  result.status = *status;
  return result;
}

}  // namespace spacelet::agent::process

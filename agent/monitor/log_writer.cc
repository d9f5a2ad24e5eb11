// LogWriter (size-capped, rotated) and LineSplitter (see log_writer.h).
#include "agent/monitor/log_writer.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "spacelet/base/file_io.h"

namespace spacelet::agent::monitor {

Result<LogWriter> LogWriter::open(std::string path, LogLimits limits, Format format) {
  if (limits.maxBytes == 0 || limits.keep < 0) {
    return failInvalid("log limits: max_bytes must be above 0 and keep at least 0");
  }
  LogWriter writer(std::move(path), limits, std::move(format));
  SPACELET_TRY(writer.reopen());
  return writer;
}

Result<void> LogWriter::reopen() {
  auto fd = openAt(AT_FDCWD, path_, O_WRONLY | O_APPEND | O_CREAT, 0640);
  if (!fd) return fail(std::move(fd).error());
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return failErrno(errno, "stat '" + path_ + "'");
  fd_ = std::move(*fd);
  size_ = static_cast<uint64_t>(st.st_size);
  return {};
}

Result<void> LogWriter::rotate() {
  std::string oldest = path_ + "." + std::to_string(limits_.keep);
  if (limits_.keep == 0) {
    ::unlink(path_.c_str());
  } else {
    ::unlink(oldest.c_str());
    for (int i = limits_.keep - 1; i >= 1; --i) {
      std::string from = path_ + "." + std::to_string(i);
      std::string to = path_ + "." + std::to_string(i + 1);
      if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
        return failErrno(errno, "rotate '" + from + "'");
      }
    }
    if (::rename(path_.c_str(), (path_ + ".1").c_str()) != 0 && errno != ENOENT) {
      return failErrno(errno, "rotate '" + path_ + "'");
    }
  }
  return reopen();
}

Result<void> LogWriter::append(std::string_view text) {
  std::string line = format_(text);
  if (size_ > 0 && size_ + line.size() > limits_.maxBytes) SPACELET_TRY(rotate());
  SPACELET_TRY_CONTEXT(writeAll(fd_.get(), line), "append to '" + path_ + "'");
  size_ += line.size();
  return {};
}

void LineSplitter::feed(std::string_view data, const std::function<void(std::string_view)>& emit) {
  while (!data.empty()) {
    size_t nl = data.find('\n');
    size_t take = nl == std::string_view::npos ? data.size() : nl;
    size_t room = maxLine_ - pending_.size();
    if (take > room) {  // cut an overlong line
      pending_.append(data.substr(0, room));
      emit(pending_);
      pending_.clear();
      data.remove_prefix(room);
      continue;
    }
    pending_.append(data.substr(0, take));
    if (nl == std::string_view::npos) return;
    if (!pending_.empty() && pending_.back() == '\r') pending_.pop_back();
    emit(pending_);
    pending_.clear();
    data.remove_prefix(nl + 1);
  }
}

void LineSplitter::finish(const std::function<void(std::string_view)>& emit) {
  if (!pending_.empty()) emit(pending_);
  pending_.clear();
}

}  // namespace spacelet::agent::monitor

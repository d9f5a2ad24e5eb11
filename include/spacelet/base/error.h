// The one error type of spacelet and the Result<T> that carries it.
// Result is shaped like std::expected (member names included) so that moving to C++23's
// std::expected is a one-line change; g++ 12 in C++20 mode does not have it.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace spacelet {

// An error: the errno that caused it (0 when it is not a system error) and a message that
// says what failed, quoting user values 'like this', and how to fix it. Context is
// prefixed as the error travels up: "create container 'web': mount '/proc': Permission denied".
struct Error {
  int code = 0;
  std::string message;

  // Builds an error from a failed system call. Pass the errno captured on the line right
  // after the call: by the time a helper returns, errno may have changed.
  static Error fromErrno(int err, std::string_view what) {
    return Error{err, std::string(what) + ": " + std::strerror(err)};
  }
  static Error invalid(std::string message) { return Error{EINVAL, std::move(message)}; }

  Error withContext(std::string_view context) const& {
    return Error{code, std::string(context) + ": " + message};
  }
  Error withContext(std::string_view context) && {
    message = std::string(context) + ": " + message;
    return std::move(*this);
  }
};

// The error side of a Result, as std::unexpected is for std::expected.
class Unexpected {
 public:
  explicit Unexpected(Error error) : error_(std::move(error)) {}
  Error& error() & { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
};

inline Unexpected fail(Error error) {
  return Unexpected(std::move(error));
}
inline Unexpected failErrno(int err, std::string_view what) {
  return Unexpected(Error::fromErrno(err, what));
}
inline Unexpected failInvalid(std::string message) {
  return Unexpected(Error::invalid(std::move(message)));
}

// Either a T or an Error. Accessing value() of an error Result is a programming error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Unexpected unexpected)                                         // NOLINT: implicit
      : data_(std::in_place_index<1>, std::move(unexpected).error()) {}

  bool has_value() const { return data_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(data_); }
  Error&& error() && { return std::get<1>(std::move(data_)); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> data_;
};

// Result<void>: success carries nothing.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Unexpected unexpected) : error_(std::move(unexpected).error()), ok_(false) {}  // NOLINT

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const {}
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

// Propagates an error with context: `SPACELET_TRY(r, "mount proc")` returns early from the
// calling function when r failed, prefixing the context.
#define SPACELET_TRY_CONTEXT(expr, context)                                                  \
  do {                                                                                       \
    auto&& spacelet_try_result_ = (expr);                                                    \
    if (!spacelet_try_result_)                                                               \
      return ::spacelet::fail(std::move(spacelet_try_result_).error().withContext(context)); \
  } while (0)

#define SPACELET_TRY(expr)                                                                       \
  do {                                                                                           \
    auto&& spacelet_try_result_ = (expr);                                                        \
    if (!spacelet_try_result_) return ::spacelet::fail(std::move(spacelet_try_result_).error()); \
  } while (0)

}  // namespace spacelet

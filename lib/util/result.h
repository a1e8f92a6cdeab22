// Result<T>: a value or an Error, the way every fallible call in libguichet reports.
//
// Library exceptions (yaml-cpp, mimetic, SQLite) are caught at module boundaries and turned into
// an Error; the command line maps Error::code to a sysexits.h exit status in one place
// (daemon/main.cc). With C++23 this becomes std::expected.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace guichet {

// Exit codes from sysexits.h: the stable contract with admins, scripts and MTAs.
enum class Errc : int {
  usage = 64,        // EX_USAGE: bad command line
  data = 65,         // EX_DATAERR: the input itself is wrong
  no_input = 66,     // EX_NOINPUT: a path cannot be opened
  software = 70,     // EX_SOFTWARE: our own invariant broke
  io = 74,           // EX_IOERR
  temp_fail = 75,    // EX_TEMPFAIL: a retry may succeed (database locked, disk full, server down)
  config = 78,       // EX_CONFIG: configuration error
};

struct Error {
  Errc code = Errc::software;
  std::string message;
};

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace guichet

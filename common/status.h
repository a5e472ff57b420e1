// Status and Result<T>: errors as values at module boundaries (STYLE.md, after Abseil).
// A Status is a code plus a message meant for a person: it names the file, line and field
// where that applies. Value types; not synchronised (copy them freely across threads).
#pragma once

#include <cassert>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace splitbrain {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller's input is wrong (a plan, a flag, a history line)
  kNotFound,
  kCorruption,   // stored data failed a check (CRC, framing)
  kIoError,      // the operating system refused (open, write, fsync, socket)
  kUnavailable,  // try again later: no leader, connection refused
  kTimeout,      // a deadline passed; the outcome may be unknown
  kUnsupported,  // this machine cannot do what was asked (no netem, no user namespaces)
  kAborted,      // cancelled, or a budget (time, memory) ran out
  kInternal,     // a bug of ours
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Timeout(std::string m) { return {StatusCode::kTimeout, std::move(m)}; }
  static Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
  static Status Aborted(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "corruption: wal/00001.log: bad CRC at offset 4096"; "ok" when OK.
  std::string ToString() const;

  // Prefixes the message with context, keeping the code: "reading plan.yaml: ...".
  Status WithContext(const std::string& context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

std::ostream& operator<<(std::ostream& os, const Status& s);

// Result<T> holds a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) {
      std::cerr << "Result constructed from an OK status\n";
      std::abort();
    }
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return Check(), std::get<T>(v_); }
  const T& value() const& { return Check(), std::get<T>(v_); }
  T&& value() && { return Check(), std::move(std::get<T>(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T value_or(T fallback) const { return ok() ? std::get<T>(v_) : std::move(fallback); }

 private:
  void Check() const {
    if (!ok()) {
      std::cerr << "Result::value() on error: " << std::get<Status>(v_) << "\n";
      std::abort();
    }
  }
  std::variant<T, Status> v_;
};

}  // namespace splitbrain

#define SB_CONCAT_INNER(a, b) a##b
#define SB_CONCAT(a, b) SB_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when `expr` is not OK.
#define SB_RETURN_IF_ERROR(expr)              \
  do {                                        \
    ::splitbrain::Status sb_status_ = (expr); \
    if (!sb_status_.ok()) return sb_status_;  \
  } while (0)

// `SB_ASSIGN_OR_RETURN(auto x, Compute());` declares x from a Result or returns its Status.
#define SB_ASSIGN_OR_RETURN(lhs, expr) \
  SB_ASSIGN_OR_RETURN_IMPL(SB_CONCAT(sb_result_, __LINE__), lhs, expr)
#define SB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()

// Minimal leveled logging to stderr: "2026-11-26T23:40:01.123Z I harness: message".
// Thread-safe (one lock around each line). The level is process-wide.
#pragma once

#include <sstream>
#include <string>

namespace splitbrain {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Parses "debug", "info", "warn", "error", "off".
bool ParseLogLevel(const std::string& text, LogLevel* out);
void LogLine(LogLevel level, const char* component, const std::string& message);

}  // namespace splitbrain

// SB_LOG(kInfo, "node") << "became leader in term " << term;
#define SB_LOG(level, component)                                     \
  if (::splitbrain::LogLevel::level < ::splitbrain::GetLogLevel()) { \
  } else                                                             \
    ::splitbrain::internal::LogMessage(::splitbrain::LogLevel::level, component).stream()

namespace splitbrain::internal {
class LogMessage {
 public:
  LogMessage(LogLevel level, const char* component) : level_(level), component_(component) {}
  ~LogMessage() { LogLine(level_, component_, stream_.str()); }
  std::ostringstream& stream() { return stream_; }

 private:
  LogLevel level_;
  const char* component_;
  std::ostringstream stream_;
};
}  // namespace splitbrain::internal

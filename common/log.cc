#include "common/log.h"

#include <time.h>

#include <atomic>
#include <cstdio>
#include <mutex>

namespace splitbrain {

static std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
static std::mutex g_mu;

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }

bool ParseLogLevel(const std::string& text, LogLevel* out) {
  if (text == "debug")
    *out = LogLevel::kDebug;
  else if (text == "info")
    *out = LogLevel::kInfo;
  else if (text == "warn")
    *out = LogLevel::kWarn;
  else if (text == "error")
    *out = LogLevel::kError;
  else if (text == "off")
    *out = LogLevel::kOff;
  else
    return false;
  return true;
}

void LogLine(LogLevel level, const char* component, const std::string& message) {
  static const char kLetters[] = {'D', 'I', 'W', 'E', 'O'};
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc{};
  gmtime_r(&ts.tv_sec, &utc);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  std::lock_guard<std::mutex> lock(g_mu);
  std::fprintf(stderr, "%s.%03ldZ %c %s: %s\n", stamp, ts.tv_nsec / 1'000'000,
               kLetters[static_cast<int>(level)], component, message.c_str());
}

}  // namespace splitbrain

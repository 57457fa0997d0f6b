#include "util/clock.h"

#include <time.h>

#include <cstdio>

namespace kindling {

int64_t MonoNanosNow() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int64_t WallMillisNow() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

int64_t SystemClock::WallMillis() const { return WallMillisNow(); }
int64_t SystemClock::MonoNanos() const { return MonoNanosNow(); }

const SystemClock& SystemClock::Get() {
  static const SystemClock clock;
  return clock;
}

namespace {

tm ToUtc(int64_t wall_ms) {
  time_t secs = static_cast<time_t>(wall_ms >= 0 ? wall_ms / 1000 : (wall_ms - 999) / 1000);
  tm t{};
  gmtime_r(&secs, &t);
  return t;
}

int MillisPart(int64_t wall_ms) { return static_cast<int>(((wall_ms % 1000) + 1000) % 1000); }

}  // namespace

std::string FormatLambdaTimestamp(int64_t wall_ms) {
  tm t = ToUtc(wall_ms);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03d+0000", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, MillisPart(wall_ms));
  return buf;
}

std::string FormatIso8601(int64_t wall_ms, bool with_millis) {
  tm t = ToUtc(wall_ms);
  char buf[64];
  if (with_millis) {
    std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900,
                  t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, MillisPart(wall_ms));
  } else {
    std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", t.tm_year + 1900,
                  t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
  }
  return buf;
}

std::string FormatLogStreamDate(int64_t wall_ms) {
  tm t = ToUtc(wall_ms);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d/%02d/%02d", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday);
  return buf;
}

}  // namespace kindling

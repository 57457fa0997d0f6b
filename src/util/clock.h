// Clock: the one way kindling reads time, so tests can drive it.
//
// Wall time (milliseconds since the Unix epoch) is for timestamps users see; monotonic time
// (nanoseconds) is for deadlines and durations. SystemClock is thread-safe; ManualClock is
// for single-threaded tests.
#pragma once

#include <cstdint>
#include <string>

namespace kindling {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t WallMillis() const = 0;
  virtual int64_t MonoNanos() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t WallMillis() const override;
  int64_t MonoNanos() const override;
  // The process-wide real clock.
  static const SystemClock& Get();
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t wall_ms = 1700000000000, int64_t mono_ns = 1000000000)
      : wall_ms_(wall_ms), mono_ns_(mono_ns) {}
  int64_t WallMillis() const override { return wall_ms_; }
  int64_t MonoNanos() const override { return mono_ns_; }
  void AdvanceMillis(int64_t ms) {
    wall_ms_ += ms;
    mono_ns_ += ms * 1000000;
  }

 private:
  int64_t wall_ms_;
  int64_t mono_ns_;
};

// Monotonic nanoseconds straight from the kernel, for hot paths that do not need injection.
int64_t MonoNanosNow();
int64_t WallMillisNow();

// "2020-04-10T19:06:32.563+0000": FunctionConfiguration.LastModified and similar.
std::string FormatLambdaTimestamp(int64_t wall_ms);
// "2019-03-01T01:23:45Z" and "2019-03-01T01:23:45.123Z".
std::string FormatIso8601(int64_t wall_ms, bool with_millis);
// "2024/01/31": the date prefix of a Lambda log stream name.
std::string FormatLogStreamDate(int64_t wall_ms);

}  // namespace kindling

// LogCapture: turns what one execution environment writes to its stdout/stderr pipe into log
// lines for the LogStore, attributes them to the invocation in progress, caps each invocation's
// volume against floods, and keeps the last 4 KB of an invocation's log for X-Amz-Log-Result.
//
// Also formats the platform's own lines (INIT_START, START, END, REPORT) exactly as Lambda
// writes them.
//
// Threading: owned by one instance and used on its loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kindling::observe {

class LogStore;

// What the REPORT line says about one invocation.
struct ReportFields {
  double duration_ms = 0;
  int memory_size_mb = 0;
  int64_t max_memory_used_mb = 0;
  std::optional<double> init_duration_ms;  // cold starts only; printed last
  std::string status;                      // "" (success), "timeout" or "error"
  std::string error_type;                  // with status "error"
};

std::string InitStartLine(std::string_view runtime_version, std::string_view runtime_arn);
std::string StartLine(std::string_view request_id, std::string_view version);
std::string EndLine(std::string_view request_id);
std::string ReportLine(std::string_view request_id, const ReportFields& f);

class LogCapture {
 public:
  static constexpr size_t kTailBytes = 4096;

  // `store` may be null (nothing is kept). `cap_bytes` bounds one invocation's output.
  LogCapture(LogStore* store, std::string function, std::string stream, size_t cap_bytes);

  // Starts collecting the tail (for a cold start this precedes Begin, so init output and
  // INIT_START are part of the first invocation's tail).
  void StartTail();
  // Lines from now on belong to `request_id` (until End).
  void Begin(std::string_view request_id);
  // Writes a platform line (START/END/REPORT/INIT_START...).
  void Platform(std::string_view line);
  // Raw bytes from the environment's pipe.
  void Feed(std::string_view bytes);
  // Emits a trailing partial line, and the truncation marker if output was dropped.
  void FlushPartial();
  // Ends the invocation; returns its tail (empty unless StartTail was called).
  std::string End();

  int64_t dropped_bytes() const { return dropped_; }

 private:
  void Emit(std::string_view line);
  void AppendTail(std::string_view text);

  LogStore* store_;
  std::string function_;
  std::string stream_;
  size_t cap_bytes_;
  std::string request_id_;
  std::string partial_;
  size_t used_ = 0;      // bytes of function output in this invocation
  int64_t dropped_ = 0;  // bytes dropped in this invocation
  bool tail_on_ = false;
  std::string tail_;
};

}  // namespace kindling::observe

#include "observe/log_capture.h"

#include <cmath>
#include <cstdio>

#include "observe/log_store.h"
#include "util/clock.h"

namespace kindling::observe {
namespace {

std::string Fixed2(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

constexpr size_t kMaxLine = 256 * 1024;

}  // namespace

std::string InitStartLine(std::string_view runtime_version, std::string_view runtime_arn) {
  return "INIT_START Runtime Version: " + std::string(runtime_version) +
         "\tRuntime Version ARN: " + std::string(runtime_arn);
}

std::string StartLine(std::string_view request_id, std::string_view version) {
  return "START RequestId: " + std::string(request_id) + " Version: " + std::string(version);
}

std::string EndLine(std::string_view request_id) {
  return "END RequestId: " + std::string(request_id);
}

std::string ReportLine(std::string_view request_id, const ReportFields& f) {
  std::string s = "REPORT RequestId: " + std::string(request_id) + "\t";
  s += "Duration: " + Fixed2(f.duration_ms) + " ms\t";
  s += "Billed Duration: " + std::to_string(static_cast<int64_t>(std::ceil(f.duration_ms))) +
       " ms\t";
  s += "Memory Size: " + std::to_string(f.memory_size_mb) + " MB\t";
  s += "Max Memory Used: " + std::to_string(f.max_memory_used_mb) + " MB\t";
  if (f.init_duration_ms) s += "Init Duration: " + Fixed2(*f.init_duration_ms) + " ms\t";
  if (!f.status.empty()) {
    s += "Status: " + f.status + "\t";
    if (!f.error_type.empty()) s += "Error Type: " + f.error_type + "\t";
  }
  return s;
}

LogCapture::LogCapture(LogStore* store, std::string function, std::string stream,
                       size_t cap_bytes)
    : store_(store),
      function_(std::move(function)),
      stream_(std::move(stream)),
      cap_bytes_(cap_bytes) {}

void LogCapture::StartTail() {
  tail_on_ = true;
  tail_.clear();
}

void LogCapture::Begin(std::string_view request_id) {
  request_id_ = std::string(request_id);
  used_ = 0;
  dropped_ = 0;
}

void LogCapture::Platform(std::string_view line) { Emit(line); }

void LogCapture::Feed(std::string_view bytes) {
  if (used_ >= cap_bytes_) {
    dropped_ += static_cast<int64_t>(bytes.size());
    return;
  }
  if (used_ + bytes.size() > cap_bytes_) {
    dropped_ += static_cast<int64_t>(used_ + bytes.size() - cap_bytes_);
    bytes = bytes.substr(0, cap_bytes_ - used_);
  }
  used_ += bytes.size();
  while (!bytes.empty()) {
    auto nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(bytes);
      if (partial_.size() >= kMaxLine) {
        Emit(partial_);
        partial_.clear();
      }
      return;
    }
    if (partial_.empty()) {
      Emit(bytes.substr(0, nl));
    } else {
      partial_.append(bytes.substr(0, nl));
      Emit(partial_);
      partial_.clear();
    }
    bytes.remove_prefix(nl + 1);
  }
}

void LogCapture::FlushPartial() {
  if (!partial_.empty()) {
    Emit(partial_);
    partial_.clear();
  }
  if (dropped_ > 0) {
    Emit("[kindling] " + std::to_string(dropped_) +
         " bytes of log output were dropped (limit: " + std::to_string(cap_bytes_) +
         " bytes per invocation)");
    dropped_ = 0;
  }
}

std::string LogCapture::End() {
  request_id_.clear();
  used_ = 0;
  std::string tail;
  if (tail_on_) {
    tail = tail_.size() > kTailBytes ? tail_.substr(tail_.size() - kTailBytes) : std::move(tail_);
    tail_.clear();
    tail_on_ = false;
  }
  return tail;
}

void LogCapture::Emit(std::string_view line) {
  if (tail_on_) {
    AppendTail(line);
    AppendTail("\n");
  }
  if (!store_) return;
  LogRecord r;
  r.time_ms = WallMillisNow();
  r.function = function_;
  r.stream = stream_;
  r.request_id = request_id_;
  r.message = std::string(line);
  store_->Append(std::move(r));
}

void LogCapture::AppendTail(std::string_view text) {
  tail_.append(text);
  if (tail_.size() > 4 * kTailBytes) tail_.erase(0, tail_.size() - kTailBytes);
}

}  // namespace kindling::observe

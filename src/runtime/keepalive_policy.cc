#include "runtime/keepalive_policy.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace kindling::runtime {
namespace {

// `ms` shortened (rounded down) or lengthened (rounded up) by `percent`%.
int64_t Less(int64_t ms, int percent) { return ms * (100 - percent) / 100; }
int64_t More(int64_t ms, int percent) { return (ms * (100 + percent) + 99) / 100; }

}  // namespace

FixedKeepAlive::FixedKeepAlive(int64_t keep_alive_ms)
    : keep_alive_ms_(std::max<int64_t>(keep_alive_ms, 1)) {}

void HybridHistogramKeepAlive::RecordIdle(int64_t idle_ms) {
  idle_ms = std::clamp<int64_t>(idle_ms, 0, kMaxIdleMs);
  if (uint64_t{in_range_} + out_of_bounds_ >= kMaxSamples) HalveCounts();
  if (idle_ms >= kRangeMs) {
    ++out_of_bounds_;
    oob_recent_[oob_next_] = idle_ms;
    oob_next_ = static_cast<uint8_t>((oob_next_ + 1) % kOobHistory);
    oob_size_ = static_cast<uint8_t>(std::min<int>(oob_size_ + 1, kOobHistory));
    return;
  }
  uint32_t& count = bins_[static_cast<size_t>(idle_ms / kBinMs)];
  sum_squares_ += 2 * uint64_t{count} + 1;  // (c + 1)^2 - c^2
  ++count;
  ++in_range_;
}

void HybridHistogramKeepAlive::HalveCounts() {
  sum_squares_ = 0;
  in_range_ = 0;
  for (uint32_t& count : bins_) {
    count /= 2;
    in_range_ += count;
    sum_squares_ += uint64_t{count} * count;
  }
  out_of_bounds_ /= 2;
}

double HybridHistogramKeepAlive::BinCountCv() const {
  if (in_range_ == 0) return 0.0;
  const double n = kNumBins;
  const double sum = in_range_;
  const double mean = sum / n;
  const double variance = (static_cast<double>(sum_squares_) - sum * sum / n) / (n - 1);
  return std::sqrt(std::max(variance, 0.0)) / mean;
}

int HybridHistogramKeepAlive::PercentileBin(int percent) const {
  if (in_range_ == 0) return -1;
  // Integer arithmetic: the first bin whose cumulative share is >= percent / 100.
  const uint64_t target = uint64_t{in_range_} * static_cast<uint64_t>(percent);
  uint64_t prefix = 0;
  for (int i = 0; i < kNumBins; ++i) {
    prefix += bins_[static_cast<size_t>(i)];
    if (prefix * 100 >= target) return i;
  }
  return kNumBins - 1;
}

int64_t HybridHistogramKeepAlive::OobForecastMs() const {
  if (oob_size_ < kMinOobForecastSamples) return -1;
  // Insertion sort of at most kOobHistory values (std::sort trips GCC 12's -Warray-bounds here).
  std::array<int64_t, kOobHistory> recent = oob_recent_;
  const size_t n = oob_size_;
  for (size_t i = 1; i < n; ++i) {
    for (size_t j = i; j > 0 && recent[j - 1] > recent[j]; --j) std::swap(recent[j - 1], recent[j]);
  }
  const int64_t median = n % 2 == 1 ? recent[n / 2] : (recent[n / 2 - 1] + recent[n / 2]) / 2;
  if (recent[0] < Less(median, kForecastMarginPercent) ||
      recent[n - 1] > More(median, kForecastMarginPercent)) {
    return -1;  // too scattered to forecast
  }
  return median;
}

KeepAliveWindow HybridHistogramKeepAlive::HistogramWindow() const {
  // The head rounded down to its bin's lower edge, the tail up to its bin's upper edge, both
  // widened by the margin.
  const int64_t head_ms = int64_t{PercentileBin(kHeadPercent)} * kBinMs;
  const int64_t tail_ms = (int64_t{PercentileBin(kTailPercent)} + 1) * kBinMs;
  return {Less(head_ms, kHistogramMarginPercent), More(tail_ms, kHistogramMarginPercent)};
}

HybridHistogramKeepAlive::Pattern HybridHistogramKeepAlive::Classify() const {
  const uint64_t total = uint64_t{in_range_} + out_of_bounds_;
  if (total > 0 &&
      static_cast<double>(out_of_bounds_) >= kOobThreshold * static_cast<double>(total)) {
    return Pattern::kOutOfBounds;
  }
  if (BinCountCv() < kCvThreshold) return Pattern::kUncertain;
  if (options_.max_histogram_span_ms > 0) {
    const KeepAliveWindow w = HistogramWindow();
    if (w.keep_alive_ms - w.prewarm_after_ms > options_.max_histogram_span_ms) {
      return Pattern::kWide;
    }
  }
  return Pattern::kHistogram;
}

KeepAliveWindow HybridHistogramKeepAlive::Window() const {
  const KeepAliveWindow uncertain{0, std::max<int64_t>(options_.uncertain_keep_alive_ms, 1)};
  switch (Classify()) {
    case Pattern::kUncertain:
    case Pattern::kWide:
      return uncertain;
    case Pattern::kHistogram:
      return HistogramWindow();
    case Pattern::kOutOfBounds: {
      const int64_t forecast_ms = OobForecastMs();
      if (forecast_ms < 0) return uncertain;
      return {Less(forecast_ms, kForecastMarginPercent), More(forecast_ms, kForecastMarginPercent)};
    }
  }
  return uncertain;
}

}  // namespace kindling::runtime

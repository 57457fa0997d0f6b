#include "runtime/keepalive_sim.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <utility>
#include <vector>

namespace kindling::runtime {
namespace {

constexpr int64_t kSecondMs = 1000;
constexpr int64_t kMinuteMs = 60 * kSecondMs;
constexpr int64_t kHourMs = 60 * kMinuteMs;
constexpr int64_t kDayMs = 24 * kHourMs;

// SplitMix64: small, fast and identical on every platform (std:: distributions are not).
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double Uniform(double low, double high) { return low + (high - low) * Uniform(); }
  double LogUniform(double low, double high) {
    return std::exp(Uniform(std::log(low), std::log(high)));
  }
  double Exponential(double mean) { return -mean * std::log1p(-Uniform()); }
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * Uniform());
  }

 private:
  uint64_t state_;
};

// Mean invocation rate bands, per hour: A at most once an hour (from once a week), B at most once
// a minute, C at most once a second, D above once a second (capped at 2/s: every policy keeps
// such a function warm, and higher rates only cost simulation time).
struct RateBand {
  double low_per_hour;
  double high_per_hour;
};
constexpr std::array<RateBand, 4> kBands = {
    {{1.0 / 168, 1.0}, {1.0, 60.0}, {60.0, 3600.0}, {3600.0, 7200.0}}};

// The mix per 1000 functions (ATC'20 §3): triggers 16% timer, 55% HTTP, 29% queue/event/other;
// by band 45% A, 36% B, 16% C, 3% D.
struct MixRow {
  TraceKind kind;
  int band;
  int per_mille;
};
constexpr std::array<MixRow, 9> kMix = {{{TraceKind::kTimer, 0, 70},
                                         {TraceKind::kTimer, 1, 90},
                                         {TraceKind::kHttp, 0, 250},
                                         {TraceKind::kHttp, 1, 150},
                                         {TraceKind::kHttp, 2, 120},
                                         {TraceKind::kHttp, 3, 30},
                                         {TraceKind::kQueue, 0, 130},
                                         {TraceKind::kQueue, 1, 120},
                                         {TraceKind::kQueue, 2, 40}}};

// Timer periods (minutes) of cron-like schedules in bands A and B.
constexpr std::array<int, 6> kSlowTimerMinutes = {60, 120, 180, 360, 720, 1440};
constexpr std::array<int, 7> kFastTimerMinutes = {1, 2, 5, 10, 15, 20, 30};
constexpr int64_t kTimerJitterMs = kSecondMs;    // trigger delay, uniform in [0, 1 s)
constexpr double kDiurnalAmplitude = 0.5;        // HTTP rate swings ±50% over a day
constexpr double kMeanBurstSize = 8.0;           // queue: invocations per burst
constexpr double kBurstGapMs = 2.0 * kSecondMs;  // queue: mean gap inside a burst
// Execution time: per function mean log-normal, median 1 s, 20% under 100 ms (sigma =
// ln(10) / 0.8416); per invocation that mean times a log-normal factor of sigma 0.5.
constexpr double kMedianMeanDurationMs = 1000.0;
constexpr double kMeanDurationSigma = 2.736;
constexpr double kDurationJitterSigma = 0.5;
// Memory sizes (MB) and their shares: an assumption (Lambda-like sizes), not from the paper.
constexpr std::array<std::pair<int, double>, 4> kMemory = {
    {{128, 0.4}, {256, 0.3}, {512, 0.2}, {1024, 0.1}}};

uint64_t Mix64(uint64_t x) { return Random(x).Next(); }

const MixRow& RowFor(int index) {
  // 7919 is coprime with 1000, so the first 1000 functions hit every slot exactly once.
  const int slot = static_cast<int>((static_cast<int64_t>(index) * 7919) % 1000);
  int cumulative = 0;
  for (const MixRow& row : kMix) {
    cumulative += row.per_mille;
    if (slot < cumulative) return row;
  }
  return kMix.back();
}

void AddTimer(Random& rng, int band, int64_t horizon_ms, std::vector<int64_t>& starts) {
  const int minutes = band == 0 ? kSlowTimerMinutes[rng.Next() % kSlowTimerMinutes.size()]
                                : kFastTimerMinutes[rng.Next() % kFastTimerMinutes.size()];
  const int64_t period_ms = minutes * kMinuteMs;
  const auto phase = static_cast<int64_t>(rng.Uniform() * static_cast<double>(period_ms));
  for (int64_t t = phase; t < horizon_ms; t += period_ms) {
    const int64_t start = t + static_cast<int64_t>(rng.Uniform() * kTimerJitterMs);
    if (start < horizon_ms) starts.push_back(start);
  }
}

void AddHttp(Random& rng, double rate_per_ms, int64_t horizon_ms, std::vector<int64_t>& starts) {
  // Non-homogeneous Poisson process by thinning.
  const double peak = rate_per_ms * (1.0 + kDiurnalAmplitude);
  const double phase = rng.Uniform(0.0, 2.0 * std::numbers::pi);
  for (double t = rng.Exponential(1.0 / peak); t < static_cast<double>(horizon_ms);
       t += rng.Exponential(1.0 / peak)) {
    const double rate =
        rate_per_ms *
        (1.0 + kDiurnalAmplitude * std::sin(2.0 * std::numbers::pi * t / kDayMs + phase));
    if (rng.Uniform() * peak < rate) starts.push_back(static_cast<int64_t>(t));
  }
}

void AddQueue(Random& rng, double rate_per_ms, int64_t horizon_ms, std::vector<int64_t>& starts) {
  // Bursts arrive as a Poisson process; a burst is 1 + Geometric(mean kMeanBurstSize - 1)
  // invocations with exponential gaps.
  const double burst_mean_gap = kMeanBurstSize / rate_per_ms;
  const double stop_p = 1.0 / kMeanBurstSize;
  for (double t = rng.Exponential(burst_mean_gap); t < static_cast<double>(horizon_ms);
       t += rng.Exponential(burst_mean_gap)) {
    double u = t;
    do {
      if (u < static_cast<double>(horizon_ms)) starts.push_back(static_cast<int64_t>(u));
      u += rng.Exponential(kBurstGapMs);
    } while (rng.Uniform() >= stop_p);
  }
}

}  // namespace

const char* TraceKindName(TraceKind kind) {
  switch (kind) {
    case TraceKind::kTimer:
      return "timer";
    case TraceKind::kHttp:
      return "http";
    case TraceKind::kQueue:
      return "queue";
    case TraceKind::kCount:
      break;
  }
  return "?";
}

FunctionSimResult SimulateFunction(const FunctionTrace& trace, int64_t horizon_ms,
                                   KeepAlivePolicy& policy) {
  FunctionSimResult r;
  if (trace.invocations.empty()) return r;
  int64_t busy_until = 0;  // end of the latest invocation so far
  bool first = true;
  for (const TraceInvocation& inv : trace.invocations) {
    ++r.invocations;
    const int64_t end = inv.start_ms + std::max<int64_t>(inv.duration_ms, 0);
    if (first) {
      ++r.cold_starts;
      first = false;
      busy_until = end;
      continue;
    }
    if (inv.start_ms <= busy_until) {  // still running: loaded, nothing idle
      policy.RecordIdle(0);
      busy_until = std::max(busy_until, end);
      continue;
    }
    const int64_t gap = inv.start_ms - busy_until;
    const KeepAliveWindow w = policy.Window();  // decided when the function became idle
    if (w.prewarm_after_ms <= 0) {
      if (gap <= w.keep_alive_ms) {
        r.idle_ms += gap;
      } else {
        ++r.cold_starts;
        r.idle_ms += w.keep_alive_ms;
      }
    } else if (gap < w.prewarm_after_ms) {
      ++r.cold_starts;  // arrived before the pre-warm, which is cancelled
    } else {
      ++r.prewarms;
      if (gap <= w.keep_alive_ms) {
        r.idle_ms += gap - w.prewarm_after_ms;
      } else {
        ++r.cold_starts;
        ++r.wasted_prewarms;
        r.idle_ms += w.keep_alive_ms - w.prewarm_after_ms;
      }
    }
    policy.RecordIdle(gap);
    busy_until = end;
  }
  // After the last invocation, up to the horizon.
  const int64_t rest = horizon_ms - busy_until;
  if (rest > 0) {
    const KeepAliveWindow w = policy.Window();
    if (w.prewarm_after_ms <= 0) {
      r.idle_ms += std::min(rest, w.keep_alive_ms);
    } else if (rest > w.prewarm_after_ms) {
      ++r.prewarms;
      if (rest > w.keep_alive_ms) ++r.wasted_prewarms;
      r.idle_ms += std::min(rest, w.keep_alive_ms) - w.prewarm_after_ms;
    }
  }
  return r;
}

void SimTotals::Add(const FunctionTrace& trace, const FunctionSimResult& result) {
  ++functions;
  invocations += result.invocations;
  cold_starts += result.cold_starts;
  prewarms += result.prewarms;
  wasted_prewarms += result.wasted_prewarms;
  idle_ms += result.idle_ms;
  idle_gb_s += static_cast<double>(result.idle_ms) / 1000.0 * trace.memory_mb / 1024.0;
  if (result.invocations > 0) {
    function_cold_percent.push_back(100.0 * static_cast<double>(result.cold_starts) /
                                    static_cast<double>(result.invocations));
  }
}

double SimTotals::ColdStartPercent() const {
  return invocations == 0
             ? 0.0
             : 100.0 * static_cast<double>(cold_starts) / static_cast<double>(invocations);
}

double SimTotals::FunctionColdPercentile(double percentile) const {
  if (function_cold_percent.empty()) return 0.0;
  std::vector<double> sorted = function_cold_percent;
  std::sort(sorted.begin(), sorted.end());
  const auto rank =
      static_cast<size_t>(std::ceil(percentile / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

SyntheticTrace::SyntheticTrace(SyntheticTraceOptions options) : options_(options) {}

FunctionTrace SyntheticTrace::Generate(int index) const {
  Random rng(Mix64(options_.seed ^ Mix64(static_cast<uint64_t>(index) + 1)));
  const MixRow& row = RowFor(index);
  FunctionTrace f;
  f.kind = row.kind;
  const RateBand& band = kBands[static_cast<size_t>(row.band)];
  const double rate_per_ms = rng.LogUniform(band.low_per_hour, band.high_per_hour) / kHourMs;
  std::vector<int64_t> starts;
  switch (row.kind) {
    case TraceKind::kTimer:
      AddTimer(rng, row.band, options_.horizon_ms, starts);
      break;
    case TraceKind::kHttp:
      AddHttp(rng, rate_per_ms, options_.horizon_ms, starts);
      break;
    case TraceKind::kQueue:
    case TraceKind::kCount:
      AddQueue(rng, rate_per_ms, options_.horizon_ms, starts);
      break;
  }
  if (starts.empty()) {  // a function in the trace is invoked at least once
    starts.push_back(
        static_cast<int64_t>(rng.Uniform() * static_cast<double>(options_.horizon_ms)));
  }
  std::sort(starts.begin(), starts.end());
  const double mean_duration = std::clamp(
      kMedianMeanDurationMs * std::exp(kMeanDurationSigma * rng.Normal()), 5.0, 300'000.0);
  double u = rng.Uniform();
  for (const auto& [mb, share] : kMemory) {
    f.memory_mb = mb;
    if ((u -= share) < 0) break;
  }
  f.invocations.reserve(starts.size());
  const double jitter_bias = -0.5 * kDurationJitterSigma * kDurationJitterSigma;  // mean 1
  for (int64_t start : starts) {
    const double d = mean_duration * std::exp(kDurationJitterSigma * rng.Normal() + jitter_bias);
    f.invocations.push_back({start, static_cast<int64_t>(std::clamp(d, 1.0, 900'000.0))});
  }
  return f;
}

std::vector<SimReport> SimulateTrace(const SyntheticTrace& trace,
                                     const std::vector<PolicySpec>& policies) {
  std::vector<SimReport> reports(policies.size());
  for (size_t p = 0; p < policies.size(); ++p) {
    reports[p].policy = policies[p].name;
    reports[p].by_kind.resize(static_cast<size_t>(TraceKind::kCount));
  }
  for (int i = 0; i < trace.size(); ++i) {
    const FunctionTrace f = trace.Generate(i);
    for (size_t p = 0; p < policies.size(); ++p) {
      std::unique_ptr<KeepAlivePolicy> policy = policies[p].make();
      const FunctionSimResult r = SimulateFunction(f, trace.horizon_ms(), *policy);
      reports[p].total.Add(f, r);
      reports[p].by_kind[static_cast<size_t>(f.kind)].Add(f, r);
    }
  }
  return reports;
}

}  // namespace kindling::runtime

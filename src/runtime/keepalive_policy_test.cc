#include "runtime/keepalive_policy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <ostream>
#include <vector>

namespace kindling::runtime {

// Readable failure messages.
void PrintTo(const KeepAliveWindow& w, std::ostream* os) {
  *os << "{prewarm_after_ms " << w.prewarm_after_ms << ", keep_alive_ms " << w.keep_alive_ms << "}";
}
void PrintTo(HybridHistogramKeepAlive::Pattern p, std::ostream* os) {
  static constexpr const char* kNames[] = {"kUncertain", "kWide", "kHistogram", "kOutOfBounds"};
  *os << kNames[static_cast<int>(p)];
}

namespace {

using Hybrid = HybridHistogramKeepAlive;
using Pattern = Hybrid::Pattern;

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;

void Feed(Hybrid& policy, const std::vector<int64_t>& idle_ms) {
  for (int64_t idle : idle_ms) policy.RecordIdle(idle);
}

std::vector<int64_t> Repeat(int64_t idle_ms, int times) {
  return std::vector<int64_t>(static_cast<size_t>(times), idle_ms);
}

// `n` idle times at the quantiles of an exponential distribution (a Poisson process), in an
// interleaved order.
std::vector<int64_t> Exponential(int64_t mean_ms, int n) {
  std::vector<int64_t> out;
  for (int i = 0; i < n; ++i) {
    const int k = (i * 7) % n;  // n is not a multiple of 7 in the tests
    const double q = (k + 0.5) / n;
    out.push_back(static_cast<int64_t>(-std::log(1.0 - q) * static_cast<double>(mean_ms)));
  }
  return out;
}

TEST(KeepAliveFixed, SameWindowWhateverIsRecorded) {
  FixedKeepAlive fixed;
  EXPECT_EQ(fixed.Window(), (KeepAliveWindow{0, 10 * kMinute}));
  for (int64_t idle : {int64_t{0}, 5 * kMinute, 30 * kHour}) fixed.RecordIdle(idle);
  EXPECT_EQ(fixed.Window(), (KeepAliveWindow{0, 10 * kMinute}));
  EXPECT_EQ(FixedKeepAlive(20 * kMinute).Window(), (KeepAliveWindow{0, 20 * kMinute}));
}

// A strictly periodic function (a timer; each idle time is the period minus a 2 s execution) is
// pre-warmed just before its next arrival and kept only a little past it.
struct PeriodicCase {
  int64_t period_ms;
  KeepAliveWindow expected;
};
void PrintTo(const PeriodicCase& c, std::ostream* os) { *os << c.period_ms / kMinute << " min"; }

class KeepAlivePeriodic : public testing::TestWithParam<PeriodicCase> {};

TEST_P(KeepAlivePeriodic, PrewarmsJustBeforeTheNextArrival) {
  const PeriodicCase& c = GetParam();
  const int64_t idle = c.period_ms - 2 * kSecond;
  for (const Hybrid::Options& options : {Hybrid::Options{}, Hybrid::Options::Paper()}) {
    Hybrid policy(options);
    Feed(policy, Repeat(idle, 20));
    EXPECT_EQ(policy.Classify(), Pattern::kHistogram);
    const KeepAliveWindow w = policy.Window();
    EXPECT_EQ(w, c.expected);
    EXPECT_LE(w.prewarm_after_ms, idle);  // loaded before the arrival ...
    EXPECT_GE(w.keep_alive_ms, idle);     // ... and still loaded at it
    // Loaded at most a bin plus 10% before the arrival, and only briefly.
    EXPECT_LE(idle - w.prewarm_after_ms, kMinute + idle / 10);
    EXPECT_LE(w.keep_alive_ms - w.prewarm_after_ms, idle / 5 + 2 * kMinute);
  }
}

INSTANTIATE_TEST_SUITE_P(KeepAlivePeriods, KeepAlivePeriodic,
                         testing::Values(
                             // bin 0 (idle 58 s): no gap to pre-warm in; keep 1 min + 10%.
                             PeriodicCase{1 * kMinute, {0, 66 * kSecond}},
                             // bin 4: pre-warm at 4 min - 10%, keep to 5 min + 10%.
                             PeriodicCase{5 * kMinute, {216 * kSecond, 330 * kSecond}},
                             // bin 29: pre-warm at 26.1 min, keep to 33 min.
                             PeriodicCase{30 * kMinute, {1566 * kSecond, 1980 * kSecond}},
                             PeriodicCase{60 * kMinute, {3186 * kSecond, 3960 * kSecond}},
                             // The last in-range bin (239).
                             PeriodicCase{4 * kHour, {12906 * kSecond, 15840 * kSecond}}));

// Functions the histogram cannot predict get the uncertain window: today's fixed keep-alive by
// default, the whole 4 h range with the paper's options.
struct UnpredictableCase {
  const char* name;
  std::vector<int64_t> idle_ms;
  Pattern expected_default;
  Pattern expected_paper;
};
void PrintTo(const UnpredictableCase& c, std::ostream* os) { *os << c.name; }

class KeepAliveUnpredictable : public testing::TestWithParam<UnpredictableCase> {};

TEST_P(KeepAliveUnpredictable, FallsBackToTheConservativeWindow) {
  const UnpredictableCase& c = GetParam();
  Hybrid by_default;
  Feed(by_default, c.idle_ms);
  EXPECT_EQ(by_default.Classify(), c.expected_default);
  EXPECT_EQ(by_default.Window(), (KeepAliveWindow{0, 10 * kMinute}));

  Hybrid paper(Hybrid::Options::Paper());
  Feed(paper, c.idle_ms);
  EXPECT_EQ(paper.Classify(), c.expected_paper);
  if (c.expected_paper == Pattern::kUncertain) {
    EXPECT_EQ(paper.Window(), (KeepAliveWindow{0, 4 * kHour}));
  }
}

std::vector<int64_t> SparseSpread() {
  std::vector<int64_t> out;
  for (int m : {5, 25, 50, 80, 110, 140, 170, 200, 220, 235}) out.push_back(m * kMinute + 1);
  return out;
}

std::vector<int64_t> UniformOverRange() {
  std::vector<int64_t> out;
  for (int i = 0; i < 480; ++i) out.push_back((i * 97 % 480) * 30 * kSecond);
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    KeepAliveCases, KeepAliveUnpredictable,
    testing::Values(
        UnpredictableCase{"NothingKnown", {}, Pattern::kUncertain, Pattern::kUncertain},
        // A Poisson process with a 1 h mean: spread over the histogram, CV of the counts ~1.
        UnpredictableCase{"PoissonHourly", Exponential(kHour, 500), Pattern::kUncertain,
                          Pattern::kUncertain},
        UnpredictableCase{"UniformOverRange", UniformOverRange(), Pattern::kUncertain,
                          Pattern::kUncertain},
        // Ten idle times from 5 min to 4 h: the sparse counts pass the CV test, but the
        // histogram would keep the function loaded for over 4 h.
        UnpredictableCase{"SparseSpread", SparseSpread(), Pattern::kWide, Pattern::kHistogram},
        // Idle times beyond 4 h that do not repeat: no forecast.
        UnpredictableCase{"ScatteredOutOfBounds",
                          {5 * kHour, 20 * kHour, 9 * kHour},
                          Pattern::kOutOfBounds,
                          Pattern::kOutOfBounds}),
    [](const testing::TestParamInfo<UnpredictableCase>& info) { return info.param.name; });

TEST(KeepAliveHybrid, SparseSpreadKeepsTheHistogramWindowWithThePaperOptions) {
  Hybrid paper(Hybrid::Options::Paper());
  Feed(paper, SparseSpread());
  EXPECT_NEAR(paper.BinCountCv(), 4.80, 0.01);
  // 5th percentile: bin 5; 99th: bin 235.
  EXPECT_EQ(paper.Window(), (KeepAliveWindow{270 * kSecond, 236 * 66 * kSecond}));
}

TEST(KeepAliveHybrid, FrequentPoissonKeepsToTheTail) {
  // Mean idle time 2 min: concentrated in the first bins, so the histogram is used.
  Hybrid policy;
  Feed(policy, Exponential(2 * kMinute, 500));
  EXPECT_EQ(policy.Classify(), Pattern::kHistogram);
  // 99th percentile of 500 quantiles: ~9.2 min, bin 9 -> keep to 10 min + 10%.
  EXPECT_EQ(policy.Window(), (KeepAliveWindow{0, 11 * kMinute}));
}

TEST(KeepAliveHybrid, BinsCoverFourHoursAndNoMore) {
  Hybrid policy;
  policy.RecordIdle(-5);  // clock skew: counts as 0
  policy.RecordIdle(0);
  policy.RecordIdle(kMinute - 1);
  policy.RecordIdle(kMinute);
  policy.RecordIdle(Hybrid::kRangeMs - 1);
  EXPECT_EQ(policy.in_range(), 5u);
  EXPECT_EQ(policy.out_of_bounds(), 0u);
  EXPECT_EQ(policy.PercentileBin(60), 0);
  EXPECT_EQ(policy.PercentileBin(80), 1);
  EXPECT_EQ(policy.PercentileBin(100), Hybrid::kNumBins - 1);
  policy.RecordIdle(Hybrid::kRangeMs);
  policy.RecordIdle(std::numeric_limits<int64_t>::max());
  EXPECT_EQ(policy.in_range(), 5u);
  EXPECT_EQ(policy.out_of_bounds(), 2u);
  EXPECT_EQ(Hybrid::kRangeMs, 4 * kHour);
}

struct PercentileCase {
  const char* name;
  std::vector<std::pair<int, int>> bins;  // (bin, count)
  int percent;
  int expected_bin;
};
void PrintTo(const PercentileCase& c, std::ostream* os) { *os << c.name; }

class KeepAlivePercentile : public testing::TestWithParam<PercentileCase> {};

TEST_P(KeepAlivePercentile, NearestRank) {
  const PercentileCase& c = GetParam();
  Hybrid policy;
  for (const auto& [bin, count] : c.bins) {
    for (int i = 0; i < count; ++i) policy.RecordIdle(bin * kMinute + kMinute / 2);
  }
  EXPECT_EQ(policy.PercentileBin(c.percent), c.expected_bin);
}

INSTANTIATE_TEST_SUITE_P(
    KeepAliveHistograms, KeepAlivePercentile,
    testing::Values(PercentileCase{"Empty", {}, 50, -1},
                    PercentileCase{"HeadOfTwenty", {{0, 1}, {1, 18}, {7, 1}}, 5, 0},
                    PercentileCase{"NinetiethOfTwenty", {{0, 1}, {1, 18}, {7, 1}}, 90, 1},
                    PercentileCase{"TailOfTwenty", {{0, 1}, {1, 18}, {7, 1}}, 99, 7},
                    PercentileCase{"ExactlyAtTheBoundary", {{3, 95}, {10, 5}}, 95, 3},
                    PercentileCase{"JustPastTheBoundary", {{3, 95}, {10, 5}}, 96, 10},
                    PercentileCase{"HeadOfHundred", {{3, 95}, {10, 5}}, 5, 3},
                    PercentileCase{"TailOfHundred", {{3, 95}, {10, 5}}, 99, 10},
                    PercentileCase{"OneSample", {{42, 1}}, 5, 42},
                    PercentileCase{"LastBin", {{0, 50}, {239, 50}}, 51, 239}),
    [](const testing::TestParamInfo<PercentileCase>& info) { return info.param.name; });

TEST(KeepAliveHybrid, CoefficientOfVariationOfBinCounts) {
  Hybrid spike;
  Feed(spike, Repeat(7 * kMinute, 30));
  EXPECT_NEAR(spike.BinCountCv(), std::sqrt(240.0), 1e-9);  // one spike, whatever its height
  Hybrid flat;
  for (int bin = 0; bin < Hybrid::kNumBins; ++bin) flat.RecordIdle(bin * kMinute);
  EXPECT_NEAR(flat.BinCountCv(), 0.0, 1e-9);
  EXPECT_EQ(flat.Classify(), Pattern::kUncertain);
  EXPECT_EQ(Hybrid().BinCountCv(), 0.0);
}

TEST(KeepAliveHybrid, SlowTimerIsForecastOutOfBounds) {
  const int64_t day = 24 * kHour;
  Hybrid policy;
  policy.RecordIdle(day - kMinute);
  EXPECT_EQ(policy.Classify(), Pattern::kOutOfBounds);
  EXPECT_EQ(policy.OobForecastMs(), -1);  // one idle time is not a pattern yet
  EXPECT_EQ(policy.Window(), (KeepAliveWindow{0, 10 * kMinute}));
  policy.RecordIdle(day + kMinute);
  EXPECT_EQ(policy.OobForecastMs(), day);  // the median of the two
  EXPECT_EQ(policy.Window(), (KeepAliveWindow{day * 85 / 100, day * 115 / 100}));
  // Half the idle times out of bounds is enough; fewer is not.
  policy.RecordIdle(30 * kMinute);
  policy.RecordIdle(30 * kMinute);
  EXPECT_EQ(policy.Classify(), Pattern::kOutOfBounds);
  policy.RecordIdle(30 * kMinute);
  EXPECT_EQ(policy.Classify(), Pattern::kHistogram);
}

TEST(KeepAliveHybrid, OutOfBoundsForecastUsesOnlyTheRecentIdleTimes) {
  Hybrid policy;
  Feed(policy, {2 * 24 * kHour, 5 * kHour, 20 * kHour});  // scattered
  EXPECT_EQ(policy.OobForecastMs(), -1);
  Feed(policy, Repeat(12 * kHour, Hybrid::kOobHistory));  // then a 12 h timer
  EXPECT_EQ(policy.OobForecastMs(), 12 * kHour);
}

TEST(KeepAliveHybrid, WindowIsAlwaysWellFormed) {
  for (const Hybrid::Options& options : {Hybrid::Options{}, Hybrid::Options::Paper()}) {
    Hybrid policy(options);
    uint64_t x = 12345;
    for (int i = 0; i < 5000; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      const auto scale = static_cast<int64_t>(1) << ((x >> 59) % 25);  // 1 s to 194 days
      policy.RecordIdle(static_cast<int64_t>((x >> 20) % static_cast<uint64_t>(scale * 1000)));
      const KeepAliveWindow w = policy.Window();
      ASSERT_GE(w.prewarm_after_ms, 0);
      ASSERT_GT(w.keep_alive_ms, w.prewarm_after_ms);
    }
  }
}

TEST(KeepAliveHybrid, MemoryPerFunctionIsBounded) {
  // 240 four-byte bins (960 bytes, as in the paper) plus a few counters; nothing on the heap.
  static_assert(sizeof(Hybrid) <= 1088);
  EXPECT_GE(sizeof(Hybrid), Hybrid::kNumBins * sizeof(uint32_t));
  // Recording does not grow anything: a million idle times later the object is the same.
  Hybrid policy;
  for (int i = 0; i < 1'000'000; ++i) policy.RecordIdle((i % 300) * kMinute);
  EXPECT_EQ(policy.in_range() + policy.out_of_bounds(), 1'000'000u);
}

}  // namespace
}  // namespace kindling::runtime

// keepalive_sim: replays the fixed-seed synthetic trace (src/runtime/keepalive_sim.h) against
// fixed keep-alive times and the hybrid histogram policy, and prints a comparison table (quoted
// in docs/keepalive.md).
//
//   keepalive_sim [--functions N] [--days D] [--seed S] [--by-kind] [--ablation]
//
// --ablation adds hybrid variants between the paper's options and kindling's default.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/keepalive_sim.h"

namespace {

using kindling::runtime::FixedKeepAlive;
using kindling::runtime::HybridHistogramKeepAlive;
using kindling::runtime::PolicySpec;
using kindling::runtime::SimReport;
using kindling::runtime::SimTotals;

PolicySpec Hybrid(std::string name, HybridHistogramKeepAlive::Options options) {
  return {std::move(name),
          [options] { return std::make_unique<HybridHistogramKeepAlive>(options); }};
}

// Kindling's default uncertain window with another span limit (0: none).
PolicySpec HybridSpan(int span_minutes) {
  HybridHistogramKeepAlive::Options o;
  o.max_histogram_span_ms = int64_t{span_minutes} * 60 * 1000;
  return Hybrid(
      span_minutes == 0 ? "hybrid, no span" : "hybrid, span " + std::to_string(span_minutes) + "m",
      o);
}

PolicySpec Fixed(int minutes) {
  return {"fixed " + std::to_string(minutes) + " min",
          [minutes] { return std::make_unique<FixedKeepAlive>(int64_t{minutes} * 60 * 1000); }};
}

void PrintRow(const std::string& name, const SimTotals& t, const SimTotals& baseline) {
  const double idle_ratio = baseline.idle_gb_s > 0 ? t.idle_gb_s / baseline.idle_gb_s : 0.0;
  std::printf(
      "| %-18s | %11lld | %7.3f | %8.1f | %8.1f | %10.1f | %12.0f | %7.3f | %9lld | %8lld |\n",
      name.c_str(), static_cast<long long>(t.cold_starts), t.ColdStartPercent(),
      t.FunctionColdPercentile(50), t.FunctionColdPercentile(75), t.IdleEnvHours(), t.idle_gb_s,
      idle_ratio, static_cast<long long>(t.prewarms), static_cast<long long>(t.wasted_prewarms));
}

void PrintHeader() {
  std::printf(
      "| policy             | cold starts | cold %%  | fn p50 %% | fn p75 %% | idle env-h | idle "
      "GB-s    "
      "| vs 10m  | pre-warms | wasted   |\n");
  std::printf(
      "|--------------------|------------:|--------:|---------:|---------:|-----------:|-----------"
      "--:"
      "|--------:|----------:|---------:|\n");
}

int Usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--functions N] [--days D] [--seed S] [--by-kind] [--ablation]\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  kindling::runtime::SyntheticTraceOptions options;
  bool by_kind = false;
  bool ablation = false;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (std::strcmp(argv[i], "--functions") == 0 && has_value) {
      options.functions = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--days") == 0 && has_value) {
      options.horizon_ms = int64_t{std::atoi(argv[++i])} * 24 * 3600 * 1000;
    } else if (std::strcmp(argv[i], "--seed") == 0 && has_value) {
      options.seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--by-kind") == 0) {
      by_kind = true;
    } else if (std::strcmp(argv[i], "--ablation") == 0) {
      ablation = true;
    } else {
      return Usage(argv[0]);
    }
  }
  if (options.functions <= 0 || options.horizon_ms <= 0) return Usage(argv[0]);

  std::vector<PolicySpec> policies = {
      Fixed(5),
      Fixed(10),
      Fixed(20),
      Fixed(60),
      Hybrid("hybrid, paper", HybridHistogramKeepAlive::Options::Paper()),
      Hybrid("hybrid (default)", HybridHistogramKeepAlive::Options{})};
  if (ablation) {
    for (int span : {0, 30, 120}) policies.push_back(HybridSpan(span));
  }
  constexpr size_t kBaseline = 1;  // fixed 10 min
  const kindling::runtime::SyntheticTrace trace(options);
  const std::vector<SimReport> reports = kindling::runtime::SimulateTrace(trace, policies);

  std::printf("synthetic trace: %d functions, %lld days, seed %llu, %lld invocations\n\n",
              options.functions, static_cast<long long>(options.horizon_ms / (24 * 3600 * 1000)),
              static_cast<unsigned long long>(options.seed),
              static_cast<long long>(reports[0].total.invocations));
  PrintHeader();
  for (const SimReport& r : reports) PrintRow(r.policy, r.total, reports[kBaseline].total);
  if (by_kind) {
    for (size_t k = 0; k < reports[0].by_kind.size(); ++k) {
      const auto kind = static_cast<kindling::runtime::TraceKind>(k);
      std::printf("\n%s functions (%lld, %lld invocations)\n\n", TraceKindName(kind),
                  static_cast<long long>(reports[0].by_kind[k].functions),
                  static_cast<long long>(reports[0].by_kind[k].invocations));
      PrintHeader();
      for (const SimReport& r : reports) {
        PrintRow(r.policy, r.by_kind[k], reports[kBaseline].by_kind[k]);
      }
    }
  }
  std::printf(
      "\ncold %%: of all invocations; fn p50/p75 %%: per-function cold-start share, median and "
      "3rd quartile;\nidle: loaded and not executing (env-hours; GB-s weighted by memory size); "
      "vs 10m: idle GB-s / fixed 10 min's;\npre-warms: environments loaded ahead of a predicted "
      "invocation; wasted: of those, expired unused.\nhybrid, paper: uncertain = 4 h, no span "
      "limit; "
      "hybrid (default): uncertain = 10 min, histogram spans over 1 h count as uncertain;\n"
      "--ablation: uncertain = 10 min with no span limit / a 30 min / a 2 h limit.\n");
  return 0;
}

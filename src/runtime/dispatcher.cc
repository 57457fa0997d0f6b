#include "runtime/dispatcher.h"

#include <cstdio>
#include <random>
#include <thread>

#include "http/loop_group.h"
#include "util/clock.h"
#include "util/strings.h"

namespace kindling::runtime {

Dispatcher::Dispatcher(RuntimeContext* ctx)
    : ctx_(ctx),
      table_(std::make_shared<const PoolTable>()),
      current_(std::make_shared<const PoolTable>()) {}

void Dispatcher::OnRegistryChange(const control::Registry& next) {
  auto table = std::make_shared<PoolTable>();
  table->reserved_total = next.reserved_total();
  for (const auto& [name, rec] : next.functions()) {
    auto fs = current_->functions.find(name);
    auto state = fs != current_->functions.end() ? fs->second
                                                 : std::make_shared<FunctionState>(name);
    table->functions[name] = state;
    auto keep = [&](const std::shared_ptr<const control::FunctionConfig>& cfg) {
      auto it = current_->pools.find(cfg.get());
      table->pools[cfg.get()] =
          it != current_->pools.end() ? it->second : std::make_shared<Pool>(cfg, state, ctx_);
    };
    keep(rec->latest);
    for (const auto& [n, cfg] : rec->versions) keep(cfg);
  }
  for (const auto& [cfg, pool] : current_->pools) {
    if (!table->pools.count(cfg)) pool->Retire();
  }
  // Provisioned concurrency: each version's pool keeps the environments its configs ask for.
  std::unordered_map<const control::FunctionConfig*, int64_t> provisioned;
  for (const auto& [name, rec] : next.functions()) {
    for (const auto& [qualifier, pc] : rec->provisioned) {
      if (auto target = rec->ProvisionedTarget(qualifier)) provisioned[target.get()] += pc.requested;
    }
  }
  for (const auto& [cfg, pool] : table->pools) {
    auto it = provisioned.find(cfg);
    pool->SetProvisioned(it == provisioned.end() ? 0 : it->second);
  }
  current_ = table;
  table_.Publish(table);
}

ProvisionedStatus Dispatcher::GetProvisionedStatus(const control::FunctionConfig* config) const {
  auto table = table_.Current();
  auto it = table->pools.find(config);
  return it == table->pools.end() ? ProvisionedStatus{} : it->second->Provisioned();
}

std::shared_ptr<Pool> Dispatcher::PoolFor(const control::FunctionConfig* config) {
  const PoolTable& t = table_.Local();
  auto p = t.pools.find(config);
  return p == t.pools.end() ? nullptr : p->second;
}

void Dispatcher::Invoke(const control::Resolved& resolved, InvokeRequest request,
                        InvokeCallback done) {
  std::shared_ptr<const control::FunctionConfig> config = resolved.config;
  // Weighted alias: send the given share of invocations to the additional version.
  if (resolved.alias && !resolved.alias->additional_weights.empty()) {
    thread_local std::mt19937 rng{std::random_device{}()};
    const auto& [version, weight] = *resolved.alias->additional_weights.begin();
    if (std::uniform_real_distribution<double>(0.0, 1.0)(rng) < weight) {
      auto v = resolved.record->versions.find(ParseInt(version).value_or(-1));
      if (v != resolved.record->versions.end()) config = v->second;
    }
  }
  auto pool = PoolFor(config.get());
  if (!pool) {
    InvokeResult res;
    res.status = Status(ErrorCode::kConflict,
                        "The operation cannot be performed at this time. An update is in "
                        "progress for resource: " + resolved.config->name);
    return done(std::move(res));
  }
  // Concurrency: a function with a reservation has exactly that much; the others share what the
  // reservations leave of the account's limit.
  const PoolTable& table = table_.Local();
  auto fs = table.functions.find(resolved.record->name());
  std::shared_ptr<FunctionState> state =
      fs != table.functions.end() ? fs->second : pool->state();
  const std::optional<int64_t>& reserved = resolved.record->reserved_concurrency;
  std::atomic<int64_t>* counter = reserved ? &state->in_flight : &unreserved_in_flight_;
  int64_t limit = reserved ? *reserved : ctx_->options.max_concurrency - table.reserved_total;
  if (counter->fetch_add(1, std::memory_order_acq_rel) >= limit) {
    counter->fetch_sub(1, std::memory_order_acq_rel);
    state->metrics.throttles.fetch_add(1, std::memory_order_relaxed);
    InvokeResult res;
    res.status = Status(ErrorCode::kThrottled, "Rate Exceeded.",
                        reserved ? "ReservedFunctionConcurrentInvocationLimitExceeded"
                                 : "ConcurrentInvocationLimitExceeded");
    return done(std::move(res));
  }
  if (!reserved) state->in_flight.fetch_add(1, std::memory_order_relaxed);
  ctx_->in_flight.fetch_add(1, std::memory_order_relaxed);
  state->metrics.invocations.fetch_add(1, std::memory_order_relaxed);
  auto invoke = std::make_unique<PendingInvoke>();
  invoke->request = std::move(request);
  invoke->executed_version = config->version;
  invoke->accepted_ns = MonoNanosNow();
  RuntimeContext* ctx = ctx_;
  std::atomic<int64_t>* shared = reserved ? nullptr : &unreserved_in_flight_;
  invoke->done = [ctx, state, shared, done = std::move(done)](InvokeResult r) {
    ctx->in_flight.fetch_sub(1, std::memory_order_acq_rel);
    state->in_flight.fetch_sub(1, std::memory_order_acq_rel);
    if (shared) shared->fetch_sub(1, std::memory_order_acq_rel);
    if (!r.function_error.empty()) {
      state->metrics.function_errors.fetch_add(1, std::memory_order_relaxed);
    }
    done(std::move(r));
  };
  pool->Invoke(std::move(invoke), http::LoopGroup::CurrentIndex());
}

void Dispatcher::ReapIdle() {
  auto table = table_.Current();
  int64_t cutoff = MonoNanosNow() - ctx_->options.idle_timeout_ms * 1000000;
  for (const auto& [cfg, pool] : table->pools) pool->ReapIdle(cutoff);
}

int Dispatcher::DrainInFlight(int64_t deadline_ms) {
  int64_t end = MonoNanosNow() + deadline_ms * 1000000;
  while (ctx_->in_flight.load() > 0 && MonoNanosNow() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ctx_->in_flight.load();
}

void Dispatcher::StopAll(int64_t deadline_ms) {
  auto table = table_.Current();
  for (const auto& [cfg, pool] : table->pools) pool->KillAll();
  // Retired pools that still had busy environments are reachable only through their
  // instances; KillAll on the live table covers every environment created since start-up
  // because retired pools kill their environments as soon as they go idle.
  int64_t end = MonoNanosNow() + deadline_ms * 1000000;
  while (ctx_->environments.load() > 0 && MonoNanosNow() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

namespace {

void Metric(std::string* out, const char* name, const char* type, const char* help) {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  *out += help;
  *out += "\n# TYPE ";
  *out += name;
  *out += ' ';
  *out += type;
  *out += '\n';
}

void Sample(std::string* out, const char* name, const std::string& labels, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", value);
  *out += name;
  if (!labels.empty()) *out += "{" + labels + "}";
  *out += ' ';
  *out += buf;
  *out += '\n';
}

}  // namespace

std::string Dispatcher::RenderMetrics() const {
  auto table = table_.Current();
  std::string out;
  auto per_function = [&](const char* name, const char* type, const char* help, auto value) {
    Metric(&out, name, type, help);
    for (const auto& [fn, st] : table->functions) {
      Sample(&out, name, "function=\"" + fn + "\"", static_cast<double>(value(*st)));
    }
  };
  auto counter = [](std::atomic<uint64_t> FunctionMetrics::*m) {
    return [m](const FunctionState& s) { return (s.metrics.*m).load(std::memory_order_relaxed); };
  };
  per_function("kindling_invocations_total", "counter", "Invocations admitted.",
               counter(&FunctionMetrics::invocations));
  per_function("kindling_function_errors_total", "counter",
               "Invocations answered with X-Amz-Function-Error (handler errors, timeouts, "
               "crashes).",
               counter(&FunctionMetrics::function_errors));
  per_function("kindling_throttles_total", "counter", "Invocations refused with 429.",
               counter(&FunctionMetrics::throttles));
  per_function("kindling_timeouts_total", "counter", "Invocations that timed out.",
               counter(&FunctionMetrics::timeouts));
  per_function("kindling_cold_starts_total", "counter",
               "Invocations that found no idle environment and created one.",
               counter(&FunctionMetrics::cold_starts));
  per_function("kindling_init_duration_seconds_sum", "counter",
               "Total init time of environments (spawn to the runtime's first /next).",
               [](const FunctionState& s) { return s.metrics.init_us_total.load() / 1e6; });
  per_function("kindling_init_duration_seconds_count", "counter",
               "Environments that finished init.", counter(&FunctionMetrics::init_count));
  per_function("kindling_invocation_duration_seconds_sum", "counter",
               "Total handler time of completed invocations.",
               [](const FunctionState& s) { return s.metrics.duration_us_total.load() / 1e6; });
  per_function("kindling_invocation_duration_seconds_count", "counter",
               "Completed invocations.", counter(&FunctionMetrics::completed));
  per_function("kindling_concurrent_executions", "gauge", "Invocations running now.",
               [](const FunctionState& s) { return s.in_flight.load(); });
  Metric(&out, "kindling_environments", "gauge",
         "Execution environments per function version and state.");
  std::string provisioned;
  for (const auto& [cfg, pool] : table->pools) {
    PoolStats st = pool->Stats();
    std::string l = "function=\"" + cfg->name + "\",version=\"" + cfg->version + "\"";
    Sample(&out, "kindling_environments", l + ",state=\"idle\"", st.idle);
    Sample(&out, "kindling_environments", l + ",state=\"busy\"", st.total - st.idle);
    ProvisionedStatus ps = pool->Provisioned();
    if (ps.requested > 0) {
      Sample(&provisioned, "kindling_provisioned_environments", l, static_cast<double>(ps.allocated));
    }
  }
  Metric(&out, "kindling_provisioned_environments", "gauge",
         "Initialised environments kept for provisioned concurrency.");
  out += provisioned;
  Metric(&out, "kindling_account_concurrent_executions", "gauge",
         "Invocations running now, all functions.");
  Sample(&out, "kindling_account_concurrent_executions", "", ctx_->in_flight.load());
  Metric(&out, "kindling_account_environments", "gauge", "Live execution environments.");
  Sample(&out, "kindling_account_environments", "", ctx_->environments.load());
  return out;
}

Dispatcher::Stats Dispatcher::GetStats() const {
  return {ctx_->in_flight.load(), ctx_->environments.load()};
}

}  // namespace kindling::runtime

#include "runtime/dispatcher.h"

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
  auto keep = [&](const std::shared_ptr<const control::FunctionConfig>& cfg) {
    auto it = current_->pools.find(cfg.get());
    table->pools[cfg.get()] =
        it != current_->pools.end() ? it->second : std::make_shared<Pool>(cfg, ctx_);
  };
  for (const auto& [name, rec] : next.functions()) {
    keep(rec->latest);
    for (const auto& [n, cfg] : rec->versions) keep(cfg);
  }
  for (const auto& [cfg, pool] : current_->pools) {
    if (!table->pools.count(cfg)) pool->Retire();
  }
  current_ = table;
  table_.Publish(table);
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
  int limit = ctx_->options.max_concurrency;
  if (ctx_->in_flight.fetch_add(1, std::memory_order_acq_rel) >= limit) {
    ctx_->in_flight.fetch_sub(1, std::memory_order_acq_rel);
    InvokeResult res;
    res.status = Status(ErrorCode::kThrottled, "Rate Exceeded.", "ConcurrentInvocationLimitExceeded");
    return done(std::move(res));
  }
  auto invoke = std::make_unique<PendingInvoke>();
  invoke->request = std::move(request);
  invoke->executed_version = config->version;
  invoke->accepted_ns = MonoNanosNow();
  RuntimeContext* ctx = ctx_;
  invoke->done = [ctx, done = std::move(done)](InvokeResult r) {
    ctx->in_flight.fetch_sub(1, std::memory_order_acq_rel);
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

Dispatcher::Stats Dispatcher::GetStats() const {
  return {ctx_->in_flight.load(), ctx_->environments.load()};
}

}  // namespace kindling::runtime

#include "runtime/pool.h"

#include <boost/asio/post.hpp>

#include <atomic>

#include "http/loop_group.h"
#include "runtime/instance.h"
#include "runtime/runtime_context.h"
#include "util/clock.h"

namespace kindling::runtime {

namespace asio = boost::asio;

namespace {
std::atomic<unsigned> round_robin{0};
}  // namespace

Pool::Pool(std::shared_ptr<const control::FunctionConfig> config, RuntimeContext* ctx)
    : config_(std::move(config)), ctx_(ctx) {}

void Pool::Invoke(std::unique_ptr<PendingInvoke> invoke, int loop_index) {
  std::shared_ptr<Instance> chosen;
  bool create = false;
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      // Most recently idle first (warmest); prefer the caller's loop to avoid a cross-core hop.
      size_t pick = idle_.size() - 1;
      for (size_t i = idle_.size(); i-- > 0;) {
        if (idle_[i].instance->loop_index() == loop_index) {
          pick = i;
          break;
        }
      }
      chosen = std::move(idle_[pick].instance);
      idle_.erase(idle_.begin() + static_cast<ptrdiff_t>(pick));
    } else {
      if (loop_index < 0) loop_index = static_cast<int>(round_robin++ % ctx_->loops->size());
      chosen = std::make_shared<Instance>(shared_from_this(), ctx_, loop_index);
      instances_[chosen.get()] = chosen;
      create = true;
    }
  }
  int target = chosen->loop_index();
  auto run = [chosen, create, inv = std::move(invoke)]() mutable {
    if (create) {
      chosen->Start(std::move(inv));
    } else {
      chosen->Deliver(std::move(inv));
    }
  };
  if (target == loop_index && http::LoopGroup::CurrentIndex() == loop_index) {
    run();
  } else {
    asio::post(ctx_->loops->Get(target), std::move(run));
  }
}

void Pool::Redispatch(std::unique_ptr<PendingInvoke> invoke, int loop_index) {
  if (invoke->redispatches++ >= 2) {
    InvokeResult res;
    res.status = Unavailable("The execution environment failed before the invocation started.");
    res.executed_version = invoke->executed_version;
    invoke->done(std::move(res));
    return;
  }
  Invoke(std::move(invoke), loop_index);
}

void Pool::OnIdle(std::shared_ptr<Instance> instance) {
  bool kill;
  {
    std::lock_guard lock(mu_);
    kill = retired_;
    if (!kill) idle_.push_back({instance, MonoNanosNow()});
  }
  if (kill) instance->Kill("version retired");
}

void Pool::OnDead(Instance* instance) {
  std::shared_ptr<Instance> keep;  // released outside the lock
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < idle_.size(); ++i) {
    if (idle_[i].instance.get() == instance) {
      idle_.erase(idle_.begin() + static_cast<ptrdiff_t>(i));
      break;
    }
  }
  auto it = instances_.find(instance);
  if (it != instances_.end()) {
    keep = std::move(it->second);
    instances_.erase(it);
  }
}

void Pool::PostKill(const std::shared_ptr<Instance>& instance, RuntimeContext* ctx,
                    const char* reason) {
  asio::post(ctx->loops->Get(instance->loop_index()),
             [instance, reason] { instance->Kill(reason); });
}

void Pool::Retire() {
  std::vector<IdleEntry> idle;
  {
    std::lock_guard lock(mu_);
    retired_ = true;
    idle.swap(idle_);
  }
  for (auto& e : idle) PostKill(e.instance, ctx_, "version retired");
}

void Pool::ReapIdle(int64_t cutoff_ns) {
  std::vector<IdleEntry> old;
  {
    std::lock_guard lock(mu_);
    for (auto it = idle_.begin(); it != idle_.end();) {
      if (it->since_ns < cutoff_ns) {
        old.push_back(std::move(*it));
        it = idle_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& e : old) PostKill(e.instance, ctx_, "idle timeout");
}

void Pool::KillAll() {
  std::vector<std::shared_ptr<Instance>> all;
  {
    std::lock_guard lock(mu_);
    retired_ = true;
    idle_.clear();
    for (auto& [p, inst] : instances_) all.push_back(inst);
  }
  for (auto& i : all) PostKill(i, ctx_, "shutdown");
}

PoolStats Pool::Stats() {
  std::lock_guard lock(mu_);
  return {static_cast<int>(instances_.size()), static_cast<int>(idle_.size())};
}

}  // namespace kindling::runtime

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

Pool::Pool(std::shared_ptr<const control::FunctionConfig> config,
           std::shared_ptr<FunctionState> state, RuntimeContext* ctx)
    : config_(std::move(config)), state_(std::move(state)), ctx_(ctx) {}

namespace {
// After this many consecutive failed inits, provisioned concurrency stops retrying (FAILED).
constexpr int kMaxProvisionedFailures = 3;
}  // namespace

void Pool::SetProvisioned(int64_t count) {
  int64_t missing = 0;
  {
    std::lock_guard lock(mu_);
    if (retired_) return;
    if (count != provisioned_target_) {
      provisioned_failures_ = 0;
      provisioned_error_.clear();
    }
    provisioned_target_ = count;
    // Lowered: the surplus become ordinary, reapable environments.
    while (static_cast<int64_t>(provisioned_.size()) > count) provisioned_.erase(provisioned_.begin());
    missing = count - static_cast<int64_t>(provisioned_.size());
  }
  if (missing > 0) StartProvisioned(missing);
}

void Pool::StartProvisioned(int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    int loop = static_cast<int>(round_robin++ % ctx_->loops->size());
    std::shared_ptr<Instance> inst;
    {
      std::lock_guard lock(mu_);
      if (retired_ || provisioned_failures_ >= kMaxProvisionedFailures) return;
      inst = std::make_shared<Instance>(shared_from_this(), ctx_, loop, /*provisioned=*/true);
      instances_[inst.get()] = inst;
      provisioned_[inst.get()] = false;
    }
    asio::post(ctx_->loops->Get(loop), [inst] { inst->Start(nullptr); });
  }
}

void Pool::OnProvisionedInit(Instance* instance, bool ok) {
  std::lock_guard lock(mu_);
  auto it = provisioned_.find(instance);
  if (it == provisioned_.end()) return;
  if (ok) {
    it->second = true;
    provisioned_failures_ = 0;
  } else {
    ++provisioned_failures_;
    provisioned_error_ = "environments of this version failed to initialise";
  }
}

ProvisionedStatus Pool::Provisioned() {
  std::lock_guard lock(mu_);
  ProvisionedStatus st;
  st.requested = provisioned_target_;
  for (const auto& [inst, ready] : provisioned_) st.allocated += ready ? 1 : 0;
  st.failed = provisioned_failures_ >= kMaxProvisionedFailures;
  st.reason = provisioned_error_;
  return st;
}

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
      chosen = std::make_shared<Instance>(shared_from_this(), ctx_, loop_index, false);
      instances_[chosen.get()] = chosen;
      create = true;
      state_->metrics.cold_starts.fetch_add(1, std::memory_order_relaxed);
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
  int64_t replace = 0;
  {
  std::lock_guard lock(mu_);
  if (auto p = provisioned_.find(instance); p != provisioned_.end()) {
    if (!p->second) {
      ++provisioned_failures_;
      provisioned_error_ = "environments of this version failed to initialise";
    }
    provisioned_.erase(p);
    // Keep the provisioned count (unless retired or failing over and over).
    if (!retired_ && provisioned_failures_ < kMaxProvisionedFailures) {
      replace = provisioned_target_ - static_cast<int64_t>(provisioned_.size());
    }
  }
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
  if (replace > 0) StartProvisioned(replace);
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
    provisioned_.clear();
    idle.swap(idle_);
  }
  for (auto& e : idle) PostKill(e.instance, ctx_, "version retired");
}

void Pool::ReapIdle(int64_t cutoff_ns) {
  std::vector<IdleEntry> old;
  {
    std::lock_guard lock(mu_);
    for (auto it = idle_.begin(); it != idle_.end();) {
      // Provisioned environments are kept however long they idle.
      if (it->since_ns < cutoff_ns && !provisioned_.count(it->instance.get())) {
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
    provisioned_.clear();
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

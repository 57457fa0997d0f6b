// Published<T>: one writer publishes immutable snapshots; many threads read them without
// taking a lock on the fast path.
//
// The writer calls Publish() (it takes a mutex, rare). Each reader thread owns a Reader that
// caches the last snapshot and its generation; Reader::Get() costs one acquire load of the
// generation counter when nothing changed, and takes the mutex only after a Publish().
// A snapshot stays alive while any reader still holds it.
//
// Thread safety: Publish() and Current() from any thread; a Reader belongs to one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace kindling {

template <typename T>
class Published {
 public:
  explicit Published(std::shared_ptr<const T> initial)
      : current_(std::move(initial)), serial_(NextSerial()) {}

  void Publish(std::shared_ptr<const T> next) {
    std::lock_guard lock(mu_);
    current_ = std::move(next);
    generation_.fetch_add(1, std::memory_order_release);
  }

  std::shared_ptr<const T> Current() const {
    std::lock_guard lock(mu_);
    return current_;
  }

  class Reader {
   public:
    explicit Reader(const Published* source) : source_(source) {}
    const T& Get() {
      uint64_t g = source_->generation_.load(std::memory_order_acquire);
      if (!cached_ || g != generation_) {
        std::lock_guard lock(source_->mu_);
        cached_ = source_->current_;
        generation_ = source_->generation_.load(std::memory_order_relaxed);
      }
      return *cached_;
    }
    std::shared_ptr<const T> GetShared() {
      Get();
      return cached_;
    }

   private:
    const Published* source_;
    std::shared_ptr<const T> cached_;
    uint64_t generation_ = 0;
  };

  // The calling thread's cached snapshot (a Reader kept per thread and per Published object):
  // lock-free unless something was published since this thread last looked.
  const T& Local() const { return LocalReader().Get(); }
  std::shared_ptr<const T> LocalShared() const { return LocalReader().GetShared(); }

 private:
  static uint64_t NextSerial() {
    static std::atomic<uint64_t> next{1};
    return next++;
  }
  Reader& LocalReader() const {
    // Keyed by a serial, never by address, so a later object at the same address cannot pick
    // up a dead object's reader.
    thread_local std::unordered_map<uint64_t, Reader> readers;
    auto it = readers.find(serial_);
    if (it == readers.end()) it = readers.emplace(serial_, Reader(this)).first;
    return it->second;
  }

  mutable std::mutex mu_;
  std::shared_ptr<const T> current_;  // guarded by mu_
  std::atomic<uint64_t> generation_{1};
  const uint64_t serial_;
};

}  // namespace kindling

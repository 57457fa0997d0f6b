#include "http/loop_group.h"

#include <pthread.h>

#include <string>

namespace kindling::http {
namespace {
thread_local int current_index = -1;
}  // namespace

LoopGroup::LoopGroup(int count) {
  for (int i = 0; i < count; ++i) {
    loops_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(loops_.back()->get_executor());
  }
}

LoopGroup::~LoopGroup() { Stop(); }

void LoopGroup::Start() {
  for (size_t i = 0; i < loops_.size(); ++i) {
    threads_.emplace_back([this, i] {
      current_index = static_cast<int>(i);
      std::string name = "kindling-loop" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      loops_[i]->run();
    });
  }
}

void LoopGroup::Stop() {
  guards_.clear();
  for (auto& l : loops_) l->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

int LoopGroup::CurrentIndex() { return current_index; }

}  // namespace kindling::http

// LoopGroup: one Asio io_context per thread ("an event loop per core"). Objects confined to a
// loop are only touched on its thread; other threads reach them with asio::post.
//
// Threading: Start/Stop from the owning (main) thread; Get/size/CurrentIndex from any thread.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>
#include <thread>
#include <vector>

namespace kindling::http {

class LoopGroup {
 public:
  explicit LoopGroup(int count);
  ~LoopGroup();

  void Start();
  // Stops every loop and joins the threads.
  void Stop();

  int size() const { return static_cast<int>(loops_.size()); }
  boost::asio::io_context& Get(int index) { return *loops_[static_cast<size_t>(index)]; }
  // Index of the loop running on the calling thread, or -1 on other threads.
  static int CurrentIndex();

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> loops_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
};

}  // namespace kindling::http

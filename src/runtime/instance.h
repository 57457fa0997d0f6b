// Instance: one execution environment — a sandboxed runtime process serving one invocation at a
// time through its own Runtime API listener, which the launcher opens inside the environment's
// network namespace at 127.0.0.1:9001 (the platform knows which environment calls by which
// listener accepted the connection).
//
// States:  kStarting --spawned--> kInitializing --first /next--> kIdle <--> kBusy
//          any state --process exit / kill--> kDead
// A cold start carries its first invocation from kStarting; it is handed to the runtime at its
// first /next. An instance becomes idle (back in its Pool) as soon as it answers, and an
// invocation delivered before the runtime's next /next simply waits for it.
//
// Threading: an Instance lives on one event loop; every method runs on that loop's thread.
// Others reach it through asio::post. Owned by its Pool (shared_ptr) and by pending operations.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <string>

#include "control/function_config.h"
#include "http/server.h"
#include "observe/log_capture.h"
#include "runtime/invocation.h"
#include "sandbox/cgroups.h"
#include "sandbox/launcher.h"

namespace kindling::runtime {

class Pool;
struct RuntimeContext;

class Instance : public http::Handler, public std::enable_shared_from_this<Instance> {
 public:
  enum class State { kStarting, kInitializing, kIdle, kBusy, kDead };

  // `provisioned`: created ahead of demand for provisioned concurrency (initialised without an
  // invocation, never reaped).
  Instance(std::shared_ptr<Pool> pool, RuntimeContext* ctx, int loop_index, bool provisioned);
  ~Instance() override;

  // Creates the environment; `first` is served once the runtime is ready (cold start).
  void Start(std::unique_ptr<PendingInvoke> first);
  // Gives an idle instance its next invocation.
  void Deliver(std::unique_ptr<PendingInvoke> invoke);
  // Ends the environment (idle reaping, retirement, shutdown).
  void Kill(const char* reason);

  int loop_index() const { return loop_index_; }
  State state() const { return state_; }
  const std::string& id() const { return hex_; }

  // http::Handler — the Runtime API.
  http::BodyPolicy OnHeader(const http::RequestHeader& header) override;
  void OnRequest(http::Request&& request, http::ResponseSink sink) override;
  http::Response OnBodyTooLarge(const http::RequestHeader& header) override;

 private:
  enum class Outcome { kSuccess, kFunctionError, kTimeout, kRuntimeExit, kInitError,
                       kTooLarge };

  void OnSpawned(Result<sandbox::Spawned> spawned);
  void ReadLogs();
  void ReadStatus();
  void HandleNext(http::ResponseSink sink);
  void SendEvent(http::ResponseSink sink);
  void HandleResponse(const std::string& id, http::Request&& req, http::ResponseSink sink,
                      bool error);
  void HandleInitError(http::Request&& req, http::ResponseSink sink);
  void OnDeadline();
  void OnProcessExit(std::optional<int> wait_status);
  // Answers the current invocation, writes END/REPORT and frees the environment for the next.
  void Complete(Outcome outcome, std::string body, std::string error_type);
  void DrainLogPipe();
  void BecomeIdle();
  void Die();
  void FailStart(const Status& status);

  std::shared_ptr<Pool> pool_;
  RuntimeContext* ctx_;
  int loop_index_;
  boost::asio::io_context& loop_;
  std::string hex_;
  State state_ = State::kStarting;

  boost::asio::ip::tcp::acceptor listener_;
  boost::asio::posix::stream_descriptor log_pipe_;
  boost::asio::posix::stream_descriptor status_pipe_;
  boost::asio::steady_timer deadline_;
  UniqueFd pidfd_;
  sandbox::CgroupStats stats_;
  observe::LogCapture log_;
  char log_buf_[64 * 1024];
  int status_buf_ = 0;

  std::unique_ptr<PendingInvoke> current_;
  bool current_sent_ = false;      // the runtime has received current_ through /next
  std::optional<http::ResponseSink> parked_next_;
  bool initialized_ = false;       // the runtime has called /next at least once
  int64_t spawn_ns_ = 0;
  int64_t started_ns_ = 0;         // when current_ was handed to the runtime
  std::optional<double> init_ms_;  // reported on the first invocation's REPORT line
  bool init_failed_ = false;
  bool kill_requested_ = false;    // Kill() arrived before the spawn finished
  const bool provisioned_;
};

}  // namespace kindling::runtime

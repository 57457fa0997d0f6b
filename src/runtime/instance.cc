#include "runtime/instance.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <cstring>

#include "http/loop_group.h"
#include "observe/log_capture.h"
#include "runtime/environment_builder.h"
#include "runtime/pool.h"
#include "runtime/runtime_context.h"
#include "sandbox/isolation.h"
#include "util/clock.h"
#include "util/ids.h"

namespace kindling::runtime {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::string_view kPrefix = "/2018-06-01/runtime/";

std::string ErrorJson(std::string_view type, std::string_view message) {
  json::object o;
  o["errorType"] = type;
  o["errorMessage"] = message;
  return json::serialize(o);
}

http::Response RuntimeApiError(unsigned status, std::string_view type, std::string_view msg) {
  json::object o;
  o["errorMessage"] = msg;
  o["errorType"] = type;
  return http::MakeResponse(status, json::serialize(o));
}

// How Go's os.ProcessState describes a wait status (Lambda's wording comes from Go).
std::string DescribeExit(std::optional<int> st) {
  if (!st) return "signal: killed";
  if (WIFEXITED(*st)) return "exit status " + std::to_string(WEXITSTATUS(*st));
  if (WIFSIGNALED(*st)) {
    int sig = WTERMSIG(*st);
    std::string name;
    switch (sig) {
      case SIGKILL: name = "killed"; break;
      case SIGSEGV: name = "segmentation fault"; break;
      case SIGABRT: name = "aborted"; break;
      case SIGTERM: name = "terminated"; break;
      case SIGBUS: name = "bus error"; break;
      case SIGFPE: name = "floating point exception"; break;
      case SIGILL: name = "illegal instruction"; break;
      case SIGSYS: name = "bad system call"; break;
      case SIGPIPE: name = "broken pipe"; break;
      default: name = strsignal(sig); break;
    }
    return "signal: " + name + (WCOREDUMP(*st) ? " (core dumped)" : "");
  }
  return "unknown status";
}

std::string Seconds2(int seconds) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%d.00", seconds);
  return buf;
}

}  // namespace

Instance::Instance(std::shared_ptr<Pool> pool, RuntimeContext* ctx, int loop_index,
                   bool provisioned)
    : pool_(std::move(pool)),
      ctx_(ctx),
      loop_index_(loop_index),
      loop_(ctx->loops->Get(loop_index)),
      hex_(RandomHex(16)),
      listener_(loop_),
      log_pipe_(loop_),
      status_pipe_(loop_),
      deadline_(loop_),
      log_(ctx->logs, pool_->config().name,
           EnvironmentBuilder::LogStreamName(pool_->config(), hex_, WallMillisNow()),
           ctx->options.log_cap_bytes),
      provisioned_(provisioned) {}

Instance::~Instance() = default;

void Instance::Start(std::unique_ptr<PendingInvoke> first) {
  current_ = std::move(first);
  spawn_ns_ = MonoNanosNow();
  ctx_->environments.fetch_add(1, std::memory_order_relaxed);
  const control::FunctionConfig& config = pool_->config();
  if (current_ && current_->request.tail_logs) log_.StartTail();

  int logp[2], stp[2];
  if (pipe2(logp, O_CLOEXEC) != 0) return FailStart(Unavailable("pipe: " + std::string(strerror(errno))));
  if (pipe2(stp, O_CLOEXEC) != 0) {
    close(logp[0]);
    close(logp[1]);
    return FailStart(Unavailable("pipe: " + std::string(strerror(errno))));
  }
  fcntl(logp[0], F_SETFL, O_NONBLOCK);
  log_pipe_.assign(logp[0]);
  status_pipe_.assign(stp[0]);
  UniqueFd log_w(logp[1]), status_w(stp[1]);

  auto spec = ctx_->builder->Build(config, ctx_->code_dir(config.code.sha256_hex), hex_,
                                   provisioned_);
  if (!spec.ok()) {
    // A package the runtime cannot start (no bootstrap): a function error, as Lambda reports it.
    if (current_) {
      log_.Begin(current_->request.request_id);
      log_.Platform(observe::StartLine(current_->request.request_id, config.version));
      Complete(Outcome::kInitError,
               ErrorJson("Runtime.InvalidEntrypoint",
                         "RequestId: " + current_->request.request_id + " Error: " +
                             spec.status().message()),
               "Runtime.InvalidEntrypoint");
    }
    return Die();
  }
  auto rt = ctx_->builder->runtimes().Find(config.runtime);
  if (rt.ok()) {
    log_.Platform(observe::InitStartLine(
        (*rt)->version_label,
        "arn:aws:lambda:" + ctx_->builder->account().region + "::runtime:" + (*rt)->id));
  }
  ctx_->launcher->Spawn(*spec, std::move(log_w), std::move(status_w),
                        [self = shared_from_this()](Result<sandbox::Spawned> r) {
                          auto holder = std::make_shared<Result<sandbox::Spawned>>(std::move(r));
                          asio::post(self->loop_, [self, holder] {
                            self->OnSpawned(std::move(*holder));
                          });
                        });
  // Init must finish within the function timeout plus a grace period.
  deadline_.expires_after(std::chrono::seconds(config.timeout_s) +
                          std::chrono::milliseconds(ctx_->options.init_grace_ms));
  deadline_.async_wait([self = shared_from_this()](boost::system::error_code e) {
    if (!e) self->OnDeadline();
  });
}

void Instance::OnSpawned(Result<sandbox::Spawned> spawned) {
  if (state_ == State::kDead) {
    // Discarded while the launcher was still creating it.
    if (spawned.ok()) syscall(SYS_pidfd_send_signal, spawned->pidfd.get(), SIGKILL, nullptr, 0);
    return;
  }
  if (!spawned.ok()) return FailStart(spawned.status());
  pidfd_ = std::move(spawned->pidfd);
  // The Runtime API listener the launcher opened in the environment's network namespace.
  boost::system::error_code ec;
  listener_.assign(asio::ip::tcp::v4(), spawned->runtime_api.Release(), ec);
  if (ec) {
    Kill("no Runtime API listener");
    return FailStart(Unavailable("cannot use the Runtime API listener: " + ec.message()));
  }
  stats_ = sandbox::CgroupStats::Open(ctx_->launcher->cgroups(), "env-" + hex_);
  if (state_ == State::kStarting) state_ = State::kInitializing;
  http::ServerOptions opts;
  opts.request_timeout = std::chrono::seconds(0);
  opts.idle_timeout = std::chrono::seconds(0);
  opts.header_limit = 2 << 20;  // runtimes may send a large X-Ray error-cause header
  http::AcceptLoop(listener_, shared_from_this(), opts);
  ReadLogs();
  ReadStatus();
  if (kill_requested_) Kill("killed while starting");
}

void Instance::ReadLogs() {
  log_pipe_.async_read_some(asio::buffer(log_buf_),
                            [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                              if (n > 0) self->log_.Feed(std::string_view(self->log_buf_, n));
                              if (!ec) self->ReadLogs();
                            });
}

void Instance::ReadStatus() {
  asio::async_read(status_pipe_, asio::buffer(&status_buf_, sizeof(status_buf_)),
                   [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                     if (ec == asio::error::operation_aborted) return;
                     if (!ec && n == sizeof(int)) {
                       self->OnProcessExit(self->status_buf_);
                     } else {
                       self->OnProcessExit(std::nullopt);
                     }
                   });
}

void Instance::DrainLogPipe() {
  if (!log_pipe_.is_open()) return;
  while (true) {
    ssize_t n = read(log_pipe_.native_handle(), log_buf_, sizeof(log_buf_));
    if (n <= 0) return;
    log_.Feed(std::string_view(log_buf_, static_cast<size_t>(n)));
  }
}

http::BodyPolicy Instance::OnHeader(const http::RequestHeader& header) {
  if (header.method() == http::bhttp::verb::post) {
    return {.limit = kMaxRuntimeResponse, .drain_limit = kMaxRuntimeResponse};
  }
  return {.limit = 64 * 1024, .drain_limit = 64 * 1024};
}

http::Response Instance::OnBodyTooLarge(const http::RequestHeader& header) {
  std::string_view target = header.target();
  if (current_ && current_sent_ && target.find(current_->request.request_id) != std::string::npos) {
    Complete(Outcome::kTooLarge,
             ErrorJson("Function.ResponseSizeTooLarge",
                       "Response payload size exceeded maximum allowed payload size (" +
                           std::to_string(kMaxRuntimeResponse) + " bytes)."),
             "Function.ResponseSizeTooLarge");
  }
  return RuntimeApiError(413, "RequestEntityTooLarge",
                         "Exceeded maximum allowed payload size (" +
                             std::to_string(kMaxRuntimeResponse) + " bytes).");
}

void Instance::OnRequest(http::Request&& req, http::ResponseSink sink) {
  std::string_view target = req.target();
  if (target.substr(0, kPrefix.size()) != kPrefix) {
    return sink.Send(RuntimeApiError(404, "InvalidRequest", "Unknown Runtime API path"));
  }
  std::string_view rest = target.substr(kPrefix.size());
  auto method = req.method();
  if (rest == "invocation/next" && method == http::bhttp::verb::get) return HandleNext(sink);
  if (rest == "init/error" && method == http::bhttp::verb::post) {
    return HandleInitError(std::move(req), sink);
  }
  if (rest.substr(0, 11) == "invocation/" && method == http::bhttp::verb::post) {
    std::string_view tail = rest.substr(11);
    auto slash = tail.find('/');
    if (slash != std::string_view::npos) {
      std::string id(tail.substr(0, slash));
      std::string_view action = tail.substr(slash + 1);
      if (action == "response") return HandleResponse(id, std::move(req), sink, false);
      if (action == "error") return HandleResponse(id, std::move(req), sink, true);
    }
  }
  sink.Send(RuntimeApiError(404, "InvalidRequest", "Unknown Runtime API path"));
}

void Instance::HandleNext(http::ResponseSink sink) {
  if (state_ == State::kDead) {
    return sink.Send(RuntimeApiError(500, "Sandbox.Failure", "environment is shutting down"));
  }
  if (!initialized_) {
    initialized_ = true;
    init_ms_ = static_cast<double>(MonoNanosNow() - spawn_ns_) / 1e6;
    deadline_.cancel();
    auto& metrics = pool_->state()->metrics;
    metrics.init_count.fetch_add(1, std::memory_order_relaxed);
    metrics.init_us_total.fetch_add(static_cast<uint64_t>(*init_ms_ * 1000),
                                    std::memory_order_relaxed);
    if (provisioned_) pool_->OnProvisionedInit(this, true);
    // Init ran unthrottled, as on Lambda; from now on CPU is proportional to memory.
    if (ctx_->builder->layers() & sandbox::kCgroupLimits) {
      Status quota = ctx_->launcher->cgroups().SetCpuQuota(
          "env-" + hex_, CpuQuotaMicros(pool_->config().memory_mb));
      if (!quota.ok()) spdlog::warn("{}", quota.message());
    }
    if (!current_) {
      // Initialised ahead of demand (provisioned): no invocation waited for it, so no REPORT
      // line will carry an Init Duration.
      init_ms_.reset();
      BecomeIdle();
    } else {
      state_ = State::kBusy;
    }
  }
  if (current_ && !current_sent_) return SendEvent(sink);
  if (current_) {
    return sink.Send(RuntimeApiError(403, "InvalidStateTransition",
                                     "State transition from Invoking to Ready failed: the "
                                     "current invocation has not been answered"));
  }
  parked_next_ = sink;
}

void Instance::SendEvent(http::ResponseSink sink) {
  const control::FunctionConfig& config = pool_->config();
  InvokeRequest& r = current_->request;
  current_sent_ = true;
  started_ns_ = MonoNanosNow();
  log_.Begin(r.request_id);
  log_.Platform(observe::StartLine(r.request_id, config.version));
  http::Response res{http::Status::ok, 11};
  res.set(http::Field::content_type, "application/json");
  res.set("Lambda-Runtime-Aws-Request-Id", r.request_id);
  res.set("Lambda-Runtime-Deadline-Ms",
          std::to_string(WallMillisNow() + static_cast<int64_t>(config.timeout_s) * 1000));
  res.set("Lambda-Runtime-Invoked-Function-Arn", r.invoked_arn);
  res.set("Lambda-Runtime-Trace-Id", r.trace_id);
  if (!r.client_context.empty()) res.set("Lambda-Runtime-Client-Context", r.client_context);
  if (!r.cognito_identity.empty()) res.set("Lambda-Runtime-Cognito-Identity", r.cognito_identity);
  if (!r.tenant_id.empty()) res.set("Lambda-Runtime-Aws-Tenant-Id", r.tenant_id);
  res.body() = std::move(r.payload);
  deadline_.expires_after(std::chrono::seconds(config.timeout_s));
  deadline_.async_wait([self = shared_from_this()](boost::system::error_code e) {
    if (!e) self->OnDeadline();
  });
  sink.Send(std::move(res));
}

void Instance::HandleResponse(const std::string& id, http::Request&& req, http::ResponseSink sink,
                              bool error) {
  if (!current_ || !current_sent_ || id != current_->request.request_id) {
    return sink.Send(RuntimeApiError(400, "InvalidRequestID", "Invalid request ID"));
  }
  if (error) {
    std::string type(req["Lambda-Runtime-Function-Error-Type"]);
    std::string body = std::move(req.body());
    if (body.empty()) body = ErrorJson(type.empty() ? "Runtime.Unknown" : type, "");
    Complete(Outcome::kFunctionError, std::move(body), type);
  } else {
    Complete(Outcome::kSuccess, std::move(req.body()), "");
  }
  sink.Send(http::MakeResponse(202, R"({"status":"OK"})"));
}

void Instance::HandleInitError(http::Request&& req, http::ResponseSink sink) {
  if (initialized_) {
    return sink.Send(RuntimeApiError(403, "InvalidStateTransition",
                                     "State transition from Ready to InitError failed"));
  }
  init_failed_ = true;
  std::string type(req["Lambda-Runtime-Function-Error-Type"]);
  if (current_) {
    init_ms_ = static_cast<double>(MonoNanosNow() - spawn_ns_) / 1e6;
    std::string body = std::move(req.body());
    if (body.empty()) body = ErrorJson(type.empty() ? "Runtime.Unknown" : type, "");
    Complete(Outcome::kInitError, std::move(body), type.empty() ? "Runtime.Unknown" : type);
  }
  sink.Send(http::MakeResponse(202, R"({"status":"OK"})"));
}

void Instance::OnDeadline() {
  if (state_ == State::kDead) return;
  if (current_ && (current_sent_ || !initialized_)) {
    const auto& config = pool_->config();
    const std::string& id = current_->request.request_id;
    std::string text = "Task timed out after " + Seconds2(config.timeout_s) + " seconds";
    log_.Platform(FormatIso8601(WallMillisNow(), true) + " " + id + " " + text);
    Complete(Outcome::kTimeout, ErrorJson("Sandbox.Timedout", "RequestId: " + id + " Error: " + text),
             "Sandbox.Timedout");
  }
  Kill("timeout");
}

void Instance::OnProcessExit(std::optional<int> wait_status) {
  if (state_ == State::kDead) return;
  DrainLogPipe();
  if (current_ && !current_sent_ && initialized_) {
    // Queued on an environment that died before taking it: nothing ran, send it elsewhere.
    auto invoke = std::move(current_);
    Die();
    pool_->Redispatch(std::move(invoke), loop_index_);
    return;
  }
  if (current_) {
    bool oom = stats_.OomKills() > 0;
    std::string type = oom ? "Runtime.OutOfMemory" : "Runtime.ExitError";
    const std::string& id = current_->request.request_id;
    std::string why = wait_status && WIFEXITED(*wait_status) && WEXITSTATUS(*wait_status) == 0
                          ? "Runtime exited without providing a reason"
                          : "Runtime exited with error: " + DescribeExit(wait_status);
    std::string message = "RequestId: " + id + " Error: " + why;
    log_.Platform(message);
    log_.Platform(type);
    Complete(Outcome::kRuntimeExit, ErrorJson(type, message), type);
  }
  Die();
}

void Instance::Complete(Outcome outcome, std::string body, std::string error_type) {
  if (!current_) return;
  auto self = shared_from_this();
  deadline_.cancel();
  DrainLogPipe();
  log_.FlushPartial();
  const auto& config = pool_->config();
  const std::string id = current_->request.request_id;
  if (!current_sent_) {
    // It never reached the runtime (init failed): Lambda still frames it with START.
    log_.Begin(id);
    log_.Platform(observe::StartLine(id, config.version));
  }
  observe::ReportFields f;
  f.duration_ms = started_ns_ ? static_cast<double>(MonoNanosNow() - started_ns_) / 1e6 : 0.0;
  auto& metrics = pool_->state()->metrics;
  metrics.completed.fetch_add(1, std::memory_order_relaxed);
  metrics.duration_us_total.fetch_add(static_cast<uint64_t>(f.duration_ms * 1000),
                                      std::memory_order_relaxed);
  if (outcome == Outcome::kTimeout) metrics.timeouts.fetch_add(1, std::memory_order_relaxed);
  f.memory_size_mb = config.memory_mb;
  f.max_memory_used_mb = (stats_.PeakMemoryBytes() + (1 << 19)) >> 20;
  f.init_duration_ms = init_ms_;
  init_ms_.reset();
  if (outcome == Outcome::kTimeout) {
    f.status = "timeout";
  } else if (outcome != Outcome::kSuccess && outcome != Outcome::kFunctionError) {
    f.status = "error";
    f.error_type = error_type;
  }
  log_.Platform(observe::EndLine(id));
  log_.Platform(observe::ReportLine(id, f));
  InvokeResult res;
  res.body = std::move(body);
  if (outcome != Outcome::kSuccess) res.function_error = "Unhandled";
  res.executed_version = current_->executed_version;
  res.log_tail = log_.End();
  auto done = std::move(current_->done);
  current_.reset();
  current_sent_ = false;
  started_ns_ = 0;
  // Back in the pool *before* the caller hears the answer: a client that sends its next request
  // at once must find this environment idle, not start another one.
  if (outcome == Outcome::kSuccess || outcome == Outcome::kFunctionError) {
    BecomeIdle();
  } else {
    Kill("invocation failed");
  }
  done(std::move(res));
}

void Instance::BecomeIdle() {
  state_ = State::kIdle;
  pool_->OnIdle(shared_from_this());
}

void Instance::Deliver(std::unique_ptr<PendingInvoke> invoke) {
  if (state_ != State::kIdle || current_) {
    // Died (or was reaped) after the pool handed it out: try another environment.
    return pool_->Redispatch(std::move(invoke), loop_index_);
  }
  current_ = std::move(invoke);
  current_sent_ = false;
  state_ = State::kBusy;
  if (current_->request.tail_logs) log_.StartTail();
  if (parked_next_) {
    auto sink = std::move(*parked_next_);
    parked_next_.reset();
    SendEvent(std::move(sink));
  }
}

void Instance::Kill(const char* reason) {
  if (state_ == State::kDead) return;
  spdlog::debug("environment {} of {}:{}: kill ({})", hex_, pool_->config().name,
                pool_->config().version, reason);
  if (!pidfd_) {
    kill_requested_ = true;
    return;
  }
  syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  // Death is observed through the status pipe (OnProcessExit).
}

void Instance::FailStart(const Status& status) {
  spdlog::warn("environment for {}:{} failed to start: {}", pool_->config().name,
               pool_->config().version, status.message());
  if (current_) {
    auto invoke = std::move(current_);
    InvokeResult res;
    res.status = Unavailable("The execution environment could not be created: " + status.message());
    res.executed_version = invoke->executed_version;
    invoke->done(std::move(res));
  }
  Die();
}

void Instance::Die() {
  if (state_ == State::kDead) return;
  auto self = shared_from_this();
  state_ = State::kDead;
  deadline_.cancel();
  boost::system::error_code ignored;
  listener_.close(ignored);
  DrainLogPipe();
  log_.FlushPartial();
  log_pipe_.close(ignored);
  status_pipe_.close(ignored);
  parked_next_.reset();
  pidfd_.Reset();
  ctx_->environments.fetch_sub(1, std::memory_order_relaxed);
  pool_->OnDead(this);
}

}  // namespace kindling::runtime

#include "server/server.h"

#include <limits.h>
#include <signal.h>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "api/lambda_api.h"
#include "control/function_service.h"
#include "control/runtime_catalog.h"
#include "http/loop_group.h"
#include "observe/log_store.h"
#include "runtime/dispatcher.h"
#include "runtime/environment_builder.h"
#include "sandbox/cgroups.h"
#include "sandbox/isolation.h"
#include "sandbox/launcher.h"
#include "server/runtime_files.h"
#include "store/code_store.h"
#include "store/state_store.h"
#include "util/encoding.h"
#include "util/logging.h"
#include "util/strings.h"

namespace kindling::server {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

int Fail(const std::string& what) {
  spdlog::critical("{}", what);
  return 1;
}

Result<asio::ip::tcp::endpoint> ParseListen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return InvalidParameter("--listen must be HOST:PORT");
  auto port = ParseInt(listen.substr(colon + 1));
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(listen.substr(0, colon), ec);
  if (!port || *port < 0 || *port > 65535 || ec) {
    return InvalidParameter("--listen must be HOST:PORT with a numeric IP address, got '" +
                            listen + "'");
  }
  return asio::ip::tcp::endpoint(addr, static_cast<uint16_t>(*port));
}

// Opens one listening socket per loop on the same port (SO_REUSEPORT: the kernel spreads
// connections over the loops).
Status OpenAcceptors(http::LoopGroup& loops, const asio::ip::tcp::endpoint& ep,
                     std::vector<std::unique_ptr<asio::ip::tcp::acceptor>>* out) {
  for (int i = 0; i < loops.size(); ++i) {
    auto a = std::make_unique<asio::ip::tcp::acceptor>(loops.Get(i));
    boost::system::error_code ec;
    a->open(ep.protocol(), ec);
    if (!ec) a->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) {
      int one = 1;
      setsockopt(a->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
      a->bind(ep, ec);
    }
    if (!ec) a->listen(1024, ec);
    if (ec) {
      return Unavailable("cannot listen on " + ep.address().to_string() + ":" +
                         std::to_string(ep.port()) + ": " + ec.message());
    }
    out->push_back(std::move(a));
  }
  return Status::Ok();
}

}  // namespace

int RunServer(const ServerOptions& options) {
  InitLogging(options.log_level);
  auto endpoint = ParseListen(options.listen);
  if (!endpoint.ok()) return Fail(endpoint.status().message());

  std::error_code fec;
  fs::create_directories(options.data_dir, fec);
  char real[PATH_MAX];
  if (!realpath(options.data_dir.c_str(), real)) {
    return Fail("cannot use data directory " + options.data_dir);
  }
  std::string data_dir = real;
  fs::create_directories(fs::path(data_dir) / "code", fec);

  // Everything that forks happens first, while this process has exactly one thread: runtime
  // detection, the isolation probe, the launcher.
  auto catalog = control::RuntimeCatalog::Detect();
  std::string root_mountpoint = data_dir + "/run/root";
  fs::create_directories(root_mountpoint, fec);
  std::string key = HexEncode(Sha256(data_dir)).substr(0, 12);
  auto cgroups = sandbox::CgroupManager::Discover(key);
  sandbox::ProbeResult probe = sandbox::ProbeIsolation(root_mountpoint);
  if (cgroups.ok()) {
    probe.available |= sandbox::kCgroupLimits;
  } else {
    probe.problems.push_back("cgroups: " + cgroups.status().message());
  }
  uint32_t missing = sandbox::kAllLayers & ~probe.available;
  if (missing & ~options.reduced_isolation) {
    std::string why;
    for (const auto& p : probe.problems) why += "\n  " + p;
    return Fail("this host cannot give execution environments these isolation layers: " +
                sandbox::DescribeLayers(missing & ~options.reduced_isolation) + why +
                "\nkindling needs root on Linux with namespaces, cgroups and seccomp. To run "
                "anyway with less isolation, name what you accept to lose: "
                "--reduced-isolation=" + [&] {
                  std::string list;
                  for (auto l : sandbox::AllLayers()) {
                    if (missing & l) list += (list.empty() ? "" : ",") + sandbox::LayerName(l);
                  }
                  return list;
                }());
  }
  uint32_t layers = sandbox::kAllLayers & ~options.reduced_isolation & probe.available;
  sandbox::LauncherConfig launcher_config;
  bool usr_local = false;
  for (const auto& id : catalog.AvailableIds()) {
    auto rt = catalog.Find(id);
    if (rt.ok() && (*rt)->executable.rfind("/usr/local/", 0) == 0) usr_local = true;
  }
  launcher_config.rootfs = sandbox::RootfsPlan::ForHost(root_mountpoint, usr_local);
  std::string cgroup_summary = cgroups.ok() ? cgroups->Describe() : "no cgroups";
  auto launcher = sandbox::LauncherClient::Start(
      cgroups.ok() ? std::move(cgroups).value() : sandbox::CgroupManager(),
      std::move(launcher_config));
  if (!launcher.ok()) return Fail(launcher.status().message());

  // A dead launcher means no environment can be created and none is left: stop, loudly, so a
  // supervisor restarts kindling (the exit status says so).
  std::atomic<bool> launcher_died{false};
  (*launcher)->SetOnDeath([&launcher_died] {
    launcher_died = true;
    spdlog::critical("the launcher process died: environments can no longer be created; "
                     "shutting down");
    kill(getpid(), SIGTERM);
  });

  auto runtime_dir = InstallRuntimeFiles(data_dir, catalog);
  if (!runtime_dir.ok()) return Fail(runtime_dir.status().message());
  auto state = store::StateStore::Open(data_dir + "/kindling.db");
  if (!state.ok()) return Fail("state store: " + state.status().message());
  auto code = store::CodeStore::Open(data_dir + "/code");
  if (!code.ok()) return Fail("code store: " + code.status().message());
  auto logs = observe::LogStore::Open(data_dir + "/logs.db");
  if (!logs.ok()) return Fail("log store: " + logs.status().message());

  int threads = options.threads > 0 ? options.threads
                                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  http::LoopGroup loops(threads);
  asio::io_context control_loop(1);

  runtime::EnvironmentBuilder builder(options.account, &catalog, *runtime_dir, layers);
  runtime::RuntimeContext rctx;
  rctx.loops = &loops;
  rctx.launcher = launcher->get();
  rctx.logs = logs->get();
  rctx.builder = &builder;
  store::CodeStore* code_store = code->get();
  rctx.code_dir = [code_store](const std::string& hex) { return code_store->DirFor(hex); };
  rctx.options.idle_timeout_ms = options.idle_timeout_ms;
  rctx.options.max_concurrency = options.max_concurrency;
  rctx.options.log_cap_bytes = options.log_cap_bytes;
  runtime::Dispatcher dispatcher(&rctx);

  Published<control::Registry> registry(std::make_shared<const control::Registry>());
  control::FunctionService functions(options.account, &catalog, state->get(), code_store,
                                     &registry, &SystemClock::Get());
  functions.SetListener(&dispatcher);
  functions.SetConcurrencyLimit(options.max_concurrency);
  if (Status s = functions.Load(); !s.ok()) return Fail("loading functions: " + s.message());
  if (auto gc = functions.CollectGarbage(); !gc.ok()) {
    spdlog::warn("code store garbage collection failed: {}", gc.status().message());
  } else if (*gc > 0) {
    spdlog::info("removed {} package(s) no function version references", *gc);
  }

  api::ApiContext actx;
  actx.functions = &functions;
  actx.control_loop = &control_loop;
  actx.dispatcher = &dispatcher;
  actx.registry = &registry;
  actx.logs = logs->get();
  actx.code = code_store;
  actx.account = options.account;
  actx.max_concurrency = options.max_concurrency;
  auto handler = std::make_shared<api::LambdaApi>(actx);

  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors;
  if (Status s = OpenAcceptors(loops, *endpoint, &acceptors); !s.ok()) return Fail(s.message());
  http::ServerOptions http_options;
  for (auto& a : acceptors) http::AcceptLoop(*a, handler, http_options);

  // Idle reaping, once a second on the control thread.
  asio::steady_timer reaper(control_loop);
  std::function<void()> arm_reaper = [&] {
    reaper.expires_after(std::chrono::seconds(1));
    reaper.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      dispatcher.ReapIdle();
      arm_reaper();
    });
  };
  arm_reaper();

  asio::signal_set signals(control_loop, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    reaper.cancel();
    control_loop.stop();
  });

  loops.Start();
  spdlog::info("kindling {} listening on http://{} (data: {}, {} event loops)", "0.1.0",
               options.listen, data_dir, threads);
  spdlog::info("isolation of every execution environment: {}", sandbox::DescribeLayers(layers));
  if (layers == sandbox::kAllLayers) {
    spdlog::info("  own pid/mount/net/ipc/uts/cgroup namespaces, a tmpfs root with read-only /usr "
                 "and /var/task, loopback-only network, uid {}-{} without capabilities, seccomp "
                 "({} calls denied), {}",
                 1000000, 1000000 + 65535, sandbox::SeccompFilter::DeniedSyscalls().size(),
                 cgroup_summary);
  } else {
    spdlog::warn("REDUCED ISOLATION: environments run WITHOUT {} (--reduced-isolation)",
                 sandbox::DescribeLayers(sandbox::kAllLayers & ~layers));
  }
  std::string runtimes;
  for (const auto& id : catalog.AvailableIds()) runtimes += (runtimes.empty() ? "" : ", ") + id;
  spdlog::info("runtimes available: {}", runtimes);

  control_loop.run();

  // Graceful shutdown: stop accepting, finish in-flight invocations, stop environments.
  for (int i = 0; i < loops.size(); ++i) {
    std::promise<void> done;
    asio::post(loops.Get(i), [&, i] {
      boost::system::error_code ignored;
      acceptors[static_cast<size_t>(i)]->close(ignored);
      done.set_value();
    });
    done.get_future().wait();
  }
  int left = dispatcher.DrainInFlight(options.shutdown_grace_ms);
  if (left > 0) spdlog::warn("{} invocations still running at the shutdown deadline", left);
  dispatcher.StopAll(5000);
  loops.Stop();
  (*logs)->Flush();
  acceptors.clear();
  launcher->reset();
  if (auto cg = sandbox::CgroupManager::Discover(key); cg.ok()) cg->RemoveRoots();
  spdlog::info("kindling stopped");
  return launcher_died ? 70 : 0;
}

}  // namespace kindling::server

// `kindling logs`: reads kindling's own log endpoint
// (GET /kindling/v1/functions/{fn}/logs?since=&after=&limit=), optionally following it.
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <ostream>

#include "cli/client_commands.h"
#include "cli/http_client.h"
#include "cli/json_fields.h"
#include "cli/lambda_client.h"
#include "util/clock.h"
#include "util/strings.h"

namespace kindling::cli {

namespace json = boost::json;
using Verb = http::bhttp::verb;

namespace {

constexpr int kPageLimit = 1000;
constexpr int kSleepSliceMs = 50;

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void OnSigint(int) { g_interrupted.store(true); }

// Turns SIGINT into g_interrupted while alive; restores the previous disposition after.
class ScopedSigintFlag {
 public:
  ScopedSigintFlag() {
    g_interrupted.store(false);
    struct sigaction sa = {};
    sa.sa_handler = OnSigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: let a pending sleep end early
    sigaction(SIGINT, &sa, &old_);
  }
  ~ScopedSigintFlag() { sigaction(SIGINT, &old_, nullptr); }
  ScopedSigintFlag(const ScopedSigintFlag&) = delete;
  ScopedSigintFlag& operator=(const ScopedSigintFlag&) = delete;

 private:
  struct sigaction old_ = {};
};

// Sleeps up to `ms`, in slices, returning early once interrupted.
void SleepUnlessInterrupted(int ms) {
  for (int slept = 0; slept < ms && !g_interrupted.load(); slept += kSleepSliceMs) {
    timespec ts{0, static_cast<long>(std::min(kSleepSliceMs, ms - slept)) * 1000000L};
    nanosleep(&ts, nullptr);
  }
}

int64_t Int64Member(const json::object& o, std::string_view key, int64_t fallback) {
  const json::value* v = o.if_contains(key);
  if (v && v->is_int64()) return v->get_int64();
  if (v && v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  return fallback;
}

}  // namespace

std::string FormatLogEvent(const json::object& event) {
  const int64_t ts = Int64Member(event, "timestamp", 0);
  return FormatIso8601(ts, /*with_millis=*/true) + " " + FieldText(event, "message", "");
}

int RunLogs(const LogsOptions& o, const Io& io) {
  auto endpoint = ParseEndpoint(o.endpoint);
  if (!endpoint.ok()) return Fail(io, endpoint.status());
  HttpClient http(*endpoint);
  LambdaClient client(&http);

  std::optional<ScopedSigintFlag> sigint;
  if (o.follow) sigint.emplace();
  const int64_t since = o.since_ms ? std::max<int64_t>(0, WallMillisNow() - *o.since_ms) : 0;
  const std::string base =
      "/kindling/v1/functions/" + PercentEncode(o.function) + "/logs?since=" + std::to_string(since);
  int64_t after = 0;
  while (true) {
    // Read everything there is now, a page at a time.
    while (true) {
      auto page = client.CallJson(Verb::get, base + "&after=" + std::to_string(after) +
                                                 "&limit=" + std::to_string(kPageLimit));
      if (o.follow && g_interrupted.load()) return 0;
      if (!page.ok()) return Fail(io, page.status());
      const json::object* obj = page->if_object();
      const json::value* events = obj ? obj->if_contains("events") : nullptr;
      if (events == nullptr || !events->is_array()) {
        return Fail(io, Internal("unexpected response from kindling at " + endpoint->url +
                                 " (no events array)"));
      }
      const int64_t before = after;
      for (const json::value& e : events->get_array()) {
        if (!e.is_object()) continue;
        *io.out << FormatLogEvent(e.get_object()) << '\n';
        after = std::max(after, Int64Member(e.get_object(), "id", after));
      }
      after = std::max(after, Int64Member(*obj, "next", after));
      io.out->flush();
      // A short page is the end; so is a full one that did not move the cursor (no busy loop).
      if (events->get_array().size() < static_cast<size_t>(kPageLimit) || after == before) break;
    }
    if (!o.follow) return 0;
    SleepUnlessInterrupted(o.poll_interval_ms);
    if (g_interrupted.load()) return 0;
  }
}

}  // namespace kindling::cli

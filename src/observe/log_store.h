// LogStore: every function's log lines (what its environments write to stdout/stderr, plus the
// platform's START/END/REPORT lines), kept in `<data-dir>/logs.db` for `kindling logs`.
//
// Append() is called on the invoke path by event-loop threads: it only moves the record into one
// of several sharded in-memory buffers (a mutex per shard, never a global lock, no I/O). A writer
// thread commits the buffers to SQLite in batches every ~100 ms (synchronous=NORMAL: logs are
// diagnostics; a power loss may drop the last batch) and prunes old rows.
//
// Threading: Append and Query from any thread; Query runs its own read statement under
// read_mu_ (queries are rare and off the invoke path).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "util/status.h"

namespace kindling::store {
class Database;
}

namespace kindling::observe {

struct LogRecord {
  int64_t id = 0;          // assigned by the store; increasing
  int64_t time_ms = 0;     // wall clock
  std::string function;
  std::string stream;      // log stream name: "2024/01/31/[$LATEST]<hex>"
  std::string request_id;  // empty for lines outside an invocation
  std::string message;     // one line, without the trailing newline
};

struct LogStoreOptions {
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;
  int64_t max_rows_per_function = 200000;
  int flush_interval_ms = 100;
};

class LogStore {
 public:
  static Result<std::unique_ptr<LogStore>> Open(const std::string& path,
                                                LogStoreOptions options = {});
  ~LogStore();

  void Append(LogRecord record);

  // Records of `function` with time >= since_ms and id > after_id, oldest first.
  Result<std::vector<LogRecord>> Query(const std::string& function, int64_t since_ms,
                                       int64_t after_id, int limit);

  // Blocks until every record appended before the call is committed (tests, shutdown).
  void Flush();

 private:
  static constexpr int kShards = 8;
  struct Shard {
    std::mutex mu;
    std::vector<LogRecord> pending;
  };

  LogStore(std::unique_ptr<store::Database> writer, std::unique_ptr<store::Database> reader,
           LogStoreOptions options);
  void WriterLoop();
  void CommitBatch(std::vector<LogRecord>& batch);
  void Prune();

  LogStoreOptions options_;
  std::unique_ptr<store::Database> writer_db_;  // writer thread only
  std::unique_ptr<store::Database> reader_db_;  // guarded by read_mu_
  std::mutex read_mu_;
  Shard shards_[kShards];

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;               // guarded by mu_
  uint64_t flush_requests_ = 0;     // guarded by mu_
  uint64_t flushes_done_ = 0;       // guarded by mu_
  std::thread writer_;
};

}  // namespace kindling::observe

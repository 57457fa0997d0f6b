#include "observe/log_store.h"

#include <functional>

#include "store/database.h"
#include "util/clock.h"

namespace kindling::observe {
namespace {

const std::vector<std::string>& Migrations() {
  static const std::vector<std::string> kMigrations = {
      "CREATE TABLE logs ("
      "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
      "  function TEXT NOT NULL,"
      "  time_ms INTEGER NOT NULL,"
      "  stream TEXT NOT NULL,"
      "  request_id TEXT NOT NULL,"
      "  message TEXT NOT NULL);"
      "CREATE INDEX logs_by_function ON logs(function, id);"
      "CREATE INDEX logs_by_time ON logs(time_ms);",
  };
  return kMigrations;
}

size_t ShardIndex() {
  thread_local size_t index = std::hash<std::thread::id>()(std::this_thread::get_id());
  return index;
}

}  // namespace

Result<std::unique_ptr<LogStore>> LogStore::Open(const std::string& path,
                                                 LogStoreOptions options) {
  auto writer = store::Database::Open(path, store::Synchronous::kNormal, Migrations());
  if (!writer.ok()) return writer.status();
  auto reader = store::Database::Open(path, store::Synchronous::kNormal, Migrations());
  if (!reader.ok()) return reader.status();
  return std::unique_ptr<LogStore>(
      new LogStore(std::move(writer).value(), std::move(reader).value(), options));
}

LogStore::LogStore(std::unique_ptr<store::Database> writer,
                   std::unique_ptr<store::Database> reader, LogStoreOptions options)
    : options_(options), writer_db_(std::move(writer)), reader_db_(std::move(reader)) {
  writer_ = std::thread([this] { WriterLoop(); });
}

LogStore::~LogStore() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

void LogStore::Append(LogRecord record) {
  Shard& s = shards_[ShardIndex() % kShards];
  std::lock_guard lock(s.mu);
  s.pending.push_back(std::move(record));
}

void LogStore::Flush() {
  std::unique_lock lock(mu_);
  uint64_t ticket = ++flush_requests_;
  cv_.notify_all();
  cv_.wait(lock, [&] { return flushes_done_ >= ticket || stop_; });
}

void LogStore::WriterLoop() {
  std::vector<LogRecord> batch;
  int64_t last_prune = MonoNanosNow();
  while (true) {
    uint64_t serving;
    bool stopping;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(options_.flush_interval_ms),
                   [&] { return stop_ || flush_requests_ > flushes_done_; });
      serving = flush_requests_;
      stopping = stop_;
    }
    for (auto& shard : shards_) {
      std::lock_guard lock(shard.mu);
      if (batch.empty()) {
        batch.swap(shard.pending);
      } else {
        for (auto& r : shard.pending) batch.push_back(std::move(r));
        shard.pending.clear();
      }
    }
    if (!batch.empty()) CommitBatch(batch);
    if (MonoNanosNow() - last_prune > 60LL * 1000000000) {
      Prune();
      last_prune = MonoNanosNow();
    }
    {
      std::lock_guard lock(mu_);
      flushes_done_ = serving;
    }
    cv_.notify_all();
    if (stopping) return;
  }
}

void LogStore::CommitBatch(std::vector<LogRecord>& batch) {
  if (!writer_db_->Begin().ok()) return;
  auto st = writer_db_->Prepare(
      "INSERT INTO logs(function, time_ms, stream, request_id, message) VALUES(?1,?2,?3,?4,?5)");
  if (st.ok()) {
    for (const auto& r : batch) {
      st->Bind(1, r.function).Bind(2, r.time_ms).Bind(3, r.stream).Bind(4, r.request_id);
      st->Bind(5, r.message);
      (void)st->Run();
    }
  }
  (void)writer_db_->Commit();
  batch.clear();
}

void LogStore::Prune() {
  int64_t cutoff = WallMillisNow() - options_.retention_ms;
  if (auto st = writer_db_->Prepare("DELETE FROM logs WHERE time_ms < ?1"); st.ok()) {
    st->Bind(1, cutoff);
    (void)st->Run();
  }
  // Cap each function's rows: delete everything older than its newest N.
  if (auto st = writer_db_->Prepare(
          "DELETE FROM logs WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER "
          "(PARTITION BY function ORDER BY id DESC) AS rn FROM logs) WHERE rn > ?1)");
      st.ok()) {
    st->Bind(1, options_.max_rows_per_function);
    (void)st->Run();
  }
}

Result<std::vector<LogRecord>> LogStore::Query(const std::string& function, int64_t since_ms,
                                               int64_t after_id, int limit) {
  std::lock_guard lock(read_mu_);
  KINDLING_ASSIGN_OR_RETURN(
      auto st, reader_db_->Prepare("SELECT id, time_ms, stream, request_id, message FROM logs "
                                   "WHERE function=?1 AND id>?2 AND time_ms>=?3 "
                                   "ORDER BY id LIMIT ?4"));
  st.Bind(1, function).Bind(2, after_id).Bind(3, since_ms).Bind(4, static_cast<int64_t>(limit));
  std::vector<LogRecord> out;
  while (true) {
    KINDLING_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    LogRecord r;
    r.id = st.ColumnInt64(0);
    r.time_ms = st.ColumnInt64(1);
    r.function = function;
    r.stream = st.ColumnText(2);
    r.request_id = st.ColumnText(3);
    r.message = st.ColumnText(4);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace kindling::observe

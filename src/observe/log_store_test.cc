#include "observe/log_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "util/ids.h"

namespace kindling::observe {
namespace {

class LogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("kindling-logs-" + RandomHex(4));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path() const { return (dir_ / "logs.db").string(); }
  std::filesystem::path dir_;
};

LogRecord Rec(std::string fn, int64_t t, std::string msg) {
  LogRecord r;
  r.function = std::move(fn);
  r.time_ms = t;
  r.message = std::move(msg);
  return r;
}

TEST_F(LogStoreTest, QueriesByFunctionTimeAndCursor) {
  auto s = LogStore::Open(Path());
  ASSERT_TRUE(s.ok());
  (*s)->Append(Rec("a", 100, "a1"));
  (*s)->Append(Rec("b", 150, "b1"));
  (*s)->Append(Rec("a", 200, "a2"));
  (*s)->Append(Rec("a", 300, "a3"));
  (*s)->Flush();
  auto all = (*s)->Query("a", 0, 0, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].message, "a3");
  auto since = (*s)->Query("a", 200, 0, 10);
  ASSERT_EQ(since->size(), 2u);
  auto after = (*s)->Query("a", 0, (*all)[1].id, 10);
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].message, "a3");
  auto limited = (*s)->Query("a", 0, 0, 1);
  EXPECT_EQ(limited->size(), 1u);
}

TEST_F(LogStoreTest, SurvivesReopen) {
  {
    auto s = LogStore::Open(Path());
    ASSERT_TRUE(s.ok());
    (*s)->Append(Rec("f", 1, "kept"));
  }  // destructor flushes
  auto s = LogStore::Open(Path());
  ASSERT_TRUE(s.ok());
  auto rows = (*s)->Query("f", 0, 0, 10);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].message, "kept");
}

TEST_F(LogStoreTest, ConcurrentAppendersLoseNothing) {
  auto s = LogStore::Open(Path());
  ASSERT_TRUE(s.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2500; ++i) (*s)->Append(Rec("f", 1, std::to_string(t * 10000 + i)));
    });
  }
  for (auto& t : threads) t.join();
  (*s)->Flush();
  auto rows = (*s)->Query("f", 0, 0, 20000);
  EXPECT_EQ(rows->size(), 10000u);
}

}  // namespace
}  // namespace kindling::observe

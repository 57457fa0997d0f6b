#include "observe/log_capture.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "observe/log_store.h"
#include "util/ids.h"

namespace kindling::observe {
namespace {

TEST(ReportLine, MatchesLambdaFormatWithInitDurationLast) {
  ReportFields f;
  f.duration_ms = 79.666;
  f.memory_size_mb = 128;
  f.max_memory_used_mb = 73;
  f.init_duration_ms = 841.6;
  EXPECT_EQ(ReportLine("abc", f),
            "REPORT RequestId: abc\tDuration: 79.67 ms\tBilled Duration: 80 ms\tMemory Size: 128 "
            "MB\tMax Memory Used: 73 MB\tInit Duration: 841.60 ms\t");
}

TEST(ReportLine, TimeoutAddsStatus) {
  ReportFields f;
  f.duration_ms = 3000.0;
  f.memory_size_mb = 128;
  f.status = "timeout";
  EXPECT_EQ(ReportLine("r", f),
            "REPORT RequestId: r\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: "
            "128 MB\tMax Memory Used: 0 MB\tStatus: timeout\t");
}

TEST(ReportLine, ErrorAddsErrorType) {
  ReportFields f;
  f.status = "error";
  f.error_type = "Runtime.OutOfMemory";
  EXPECT_NE(ReportLine("r", f).find("Status: error\tError Type: Runtime.OutOfMemory\t"),
            std::string::npos);
}

TEST(PlatformLines, StartEndInitStart) {
  EXPECT_EQ(StartLine("id", "$LATEST"), "START RequestId: id Version: $LATEST");
  EXPECT_EQ(EndLine("id"), "END RequestId: id");
  EXPECT_EQ(InitStartLine("python:3.11.2", "arn:x"),
            "INIT_START Runtime Version: python:3.11.2\tRuntime Version ARN: arn:x");
}

TEST(LogCapture, TailHoldsTheInvocationsLinesAcrossPartialWrites) {
  LogCapture c(nullptr, "f", "s", 1 << 20);
  c.StartTail();
  c.Begin("r1");
  c.Platform("START");
  c.Feed("hel");
  c.Feed("lo\nwor");
  c.Feed("ld\n");
  c.Platform("END");
  c.FlushPartial();
  EXPECT_EQ(c.End(), "START\nhello\nworld\nEND\n");
}

TEST(LogCapture, TailKeepsOnlyTheLast4KB) {
  LogCapture c(nullptr, "f", "s", 1 << 20);
  c.StartTail();
  c.Begin("r");
  for (int i = 0; i < 1000; ++i) c.Feed("0123456789\n");
  c.Platform("REPORT");
  std::string tail = c.End();
  EXPECT_EQ(tail.size(), LogCapture::kTailBytes);
  EXPECT_EQ(tail.substr(tail.size() - 7), "REPORT\n");
}

TEST(LogCapture, NoTailUnlessRequested) {
  LogCapture c(nullptr, "f", "s", 1 << 20);
  c.Begin("r");
  c.Feed("x\n");
  EXPECT_EQ(c.End(), "");
}

TEST(LogCapture, FloodIsCappedAndMarked) {
  LogCapture c(nullptr, "f", "s", 100);
  c.StartTail();
  c.Begin("r");
  std::string big(1000, 'a');
  c.Feed(big);
  c.Feed(big);
  EXPECT_EQ(c.dropped_bytes(), 1900);
  c.FlushPartial();
  std::string tail = c.End();
  EXPECT_NE(tail.find("1900 bytes of log output were dropped"), std::string::npos) << tail;
  EXPECT_EQ(tail.find(std::string(101, 'a')), std::string::npos);
}

TEST(LogCapture, LinesReachTheStoreWithTheRequestId) {
  auto dir = std::filesystem::temp_directory_path() / ("kindling-logcap-" + RandomHex(4));
  std::filesystem::create_directories(dir);
  {
    auto store = LogStore::Open((dir / "logs.db").string());
    ASSERT_TRUE(store.ok());
    LogCapture c(store->get(), "fn", "2024/01/01/[$LATEST]abc", 1 << 20);
    c.Feed("init line\n");
    c.Begin("req-1");
    c.Feed("during\n");
    c.End();
    (*store)->Flush();
    auto rows = (*store)->Query("fn", 0, 0, 100);
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 2u);
    EXPECT_EQ((*rows)[0].message, "init line");
    EXPECT_EQ((*rows)[0].request_id, "");
    EXPECT_EQ((*rows)[1].message, "during");
    EXPECT_EQ((*rows)[1].request_id, "req-1");
    EXPECT_EQ((*rows)[1].stream, "2024/01/01/[$LATEST]abc");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kindling::observe

#include "util/published.h"

#include <gtest/gtest.h>

#include <thread>

namespace kindling {
namespace {

TEST(Published, ReaderSeesLatestSnapshot) {
  Published<int> p(std::make_shared<const int>(1));
  Published<int>::Reader r(&p);
  EXPECT_EQ(r.Get(), 1);
  p.Publish(std::make_shared<const int>(2));
  EXPECT_EQ(r.Get(), 2);
}

TEST(Published, OldSnapshotOutlivesPublish) {
  Published<int> p(std::make_shared<const int>(1));
  Published<int>::Reader r(&p);
  auto held = r.GetShared();
  p.Publish(std::make_shared<const int>(2));
  EXPECT_EQ(*held, 1);
}

TEST(Published, ConcurrentReadersNeverSeeGoingBackwards) {
  Published<int> p(std::make_shared<const int>(0));
  std::atomic<bool> stop{false};
  std::atomic<int> violations{0};
  std::thread reader([&] {
    Published<int>::Reader r(&p);
    int last = 0;
    while (!stop) {
      int v = r.Get();
      if (v < last) ++violations;
      last = v;
    }
  });
  for (int i = 1; i <= 20000; ++i) p.Publish(std::make_shared<const int>(i));
  stop = true;
  reader.join();
  EXPECT_EQ(violations.load(), 0);
  Published<int>::Reader r(&p);
  EXPECT_EQ(r.Get(), 20000);
}

}  // namespace
}  // namespace kindling

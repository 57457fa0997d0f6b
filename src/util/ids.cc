#include "util/ids.h"

#include <sys/random.h>

#include <cstdint>
#include <random>

#include "util/check.h"

namespace kindling {
namespace {

std::mt19937_64& Generator() {
  thread_local std::mt19937_64 gen = [] {
    uint64_t seed[4];
    size_t got = 0;
    while (got < sizeof(seed)) {
      ssize_t n = getrandom(reinterpret_cast<char*>(seed) + got, sizeof(seed) - got, 0);
      KCHECK(n > 0) << "getrandom failed";
      got += static_cast<size_t>(n);
    }
    std::seed_seq seq{seed[0], seed[1], seed[2], seed[3]};
    return std::mt19937_64(seq);
  }();
  return gen;
}

}  // namespace

std::string NewUuid() {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t a = Generator()(), b = Generator()();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  std::string out(36, '-');
  int pos = 0;
  auto put = [&](uint64_t v, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      out[pos++] = kHex[(v >> (i * 4)) & 15];
    }
  };
  put(a, 16);
  put(b, 16);
  return out;
}

std::string RandomHex(int n_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(static_cast<size_t>(n_bytes) * 2);
  uint64_t v = 0;
  for (int i = 0; i < n_bytes; ++i) {
    if (i % 8 == 0) v = Generator()();
    auto c = static_cast<unsigned>(v & 0xff);
    v >>= 8;
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace kindling

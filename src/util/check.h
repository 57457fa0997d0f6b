// KCHECK: assertions for bugs (never for expected failures; those use Status).
// A failed check logs file, line, the condition and any streamed context, then aborts.
#pragma once

#include <sstream>

namespace kindling::internal {

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* cond);
  [[noreturn]] ~CheckFailure();
  template <typename T>
  CheckFailure& operator<<(const T& v) {
    os_ << v;
    return *this;
  }

 private:
  std::ostringstream os_;
};

// Lets `KCHECK(x) << "context"` compile to nothing on success.
struct Voidify {
  void operator&(const CheckFailure&) {}
};

}  // namespace kindling::internal

#define KCHECK(cond)                                                             \
  (cond) ? (void)0                                                               \
         : ::kindling::internal::Voidify() &                                     \
               ::kindling::internal::CheckFailure(__FILE__, __LINE__, #cond)

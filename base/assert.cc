#include "base/assert.h"

#include <cstdio>
#include <cstdlib>

namespace simbus {

namespace {
thread_local AssertHandler tls_handler = nullptr;
}  // namespace

AssertHandler set_assert_handler(AssertHandler handler) {
  AssertHandler previous = tls_handler;
  tls_handler = handler;
  return previous;
}

void assert_fail(const char* expr, const char* file, int line, const char* msg) {
  if (AssertHandler handler = tls_handler) handler(expr, file, line, msg);  // may throw
  std::fprintf(stderr, "simbus: assertion failed: %s at %s:%d%s%s\n", expr, file, line,
               msg ? ": " : "", msg ? msg : "");
  std::fflush(stderr);
  std::abort();
}

}  // namespace simbus

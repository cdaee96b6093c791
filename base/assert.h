// Always-on assertions, in every build type: the simulator is only as good as the
// invariants the code states about itself. One condition per assert, so a failure
// names exactly what broke.
#pragma once

namespace simbus {
[[noreturn]] void assert_fail(const char* expr, const char* file, int line, const char* msg);

// Called by assert_fail before it aborts, on this thread; it may throw to turn the failure
// into something its caller reports (the simulator fails the execution running the code),
// or return to let the process abort. Returns the handler it replaces (nullptr: none).
using AssertHandler = void (*)(const char* expr, const char* file, int line, const char* msg);
AssertHandler set_assert_handler(AssertHandler handler);
}  // namespace simbus

#define SIMBUS_ASSERT(cond)                                              \
  do {                                                                   \
    if (!(cond)) [[unlikely]]                                            \
      ::simbus::assert_fail(#cond, __FILE__, __LINE__, nullptr);         \
  } while (0)

#define SIMBUS_ASSERT_MSG(cond, msg)                                     \
  do {                                                                   \
    if (!(cond)) [[unlikely]]                                            \
      ::simbus::assert_fail(#cond, __FILE__, __LINE__, (msg));           \
  } while (0)

#define SIMBUS_UNREACHABLE() ::simbus::assert_fail("unreachable", __FILE__, __LINE__, nullptr)

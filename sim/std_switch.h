// One switch between the real standard primitives and the simulator's, as loom's
// cfg(loom): code written against simbus::concurrency::atomic, mutex, thread, ... is the
// production code when built normally and runs under the simulator when SIMBUS_SIM is
// defined (add `target_compile_definitions(my_lib PRIVATE SIMBUS_SIM)` to the test build).
// Without SIMBUS_SIM this header includes only the standard library, so a production build
// may carry a copy of it without depending on simbus.
#pragma once

#ifdef SIMBUS_SIM
#include "sim/std.h"
namespace simbus {
namespace concurrency = std_sim;
}
#else
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>
#include <thread>
namespace simbus {
namespace concurrency = ::std;
}
#endif

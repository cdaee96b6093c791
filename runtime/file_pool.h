// Blocking file calls off the event loop: a bounded thread pool runs the call while the
// calling task is suspended; the completion is posted back to the io_context, which
// resumes the task. An I/O error (EIO, ENOSPC, a failed fdatasync) is thrown as
// std::system_error into the calling task, which makes the process abort with the error
// named: a broker whose disk failed restarts from what it synced (fail-stop; after a failed
// fsync the page cache cannot be trusted to still hold the data).
#pragma once

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>

#include "runtime/scheduler.h"

namespace simbus::runtime {

class FilePool {
 public:
  static constexpr std::size_t threads_default = 2;
  FilePool(Scheduler& scheduler, std::size_t threads = threads_default)
      : scheduler_(scheduler), pool_(threads) {}
  ~FilePool() { join(); }
  FilePool(const FilePool&) = delete;
  FilePool& operator=(const FilePool&) = delete;

  // Waits for running calls to finish; their tasks must not be unwound before this.
  void join() { pool_.join(); }

  // From a task: runs fn() on a pool thread; the task is suspended until it returns.
  template <class F>
  auto run(F fn) -> decltype(fn()) {
    using Result = decltype(fn());
    const WakeToken token = scheduler_.prepare();
    std::exception_ptr error;
    std::conditional_t<std::is_void_v<Result>, bool, std::optional<Result>> result{};
    boost::asio::io_context& io = scheduler_.io();
    Scheduler* scheduler = &scheduler_;
    boost::asio::post(pool_, [&, token, scheduler] {
      try {
        if constexpr (std::is_void_v<Result>) {
          fn();
        } else {
          result.emplace(fn());
        }
      } catch (...) {
        error = std::current_exception();
      }
      boost::asio::post(io, [scheduler, token] { scheduler->wake(token); });
    });
    scheduler_.suspend();
    if (error) std::rethrow_exception(error);
    if constexpr (!std::is_void_v<Result>) return std::move(*result);
  }

 private:
  Scheduler& scheduler_;
  boost::asio::thread_pool pool_;
};

}  // namespace simbus::runtime

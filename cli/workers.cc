#include "cli/workers.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <vector>

#include "base/assert.h"

namespace simbus::cli {
namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      ++i;
      out += s[i] == 't' ? '\t' : s[i] == 'n' ? '\n' : s[i];
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string serialize(const TaskResult& r) {
  return fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{:x}\t{}\t{}\t{}\t{:x}\t{}\n", r.index, r.code, escape(r.status),
                     escape(r.check), escape(r.message), escape(r.reproduce), r.trace_hash, r.steps, r.wall_us,
                     escape(r.site), r.schedule_hash, r.choices);
}

bool deserialize(const std::string& line, TaskResult* r) {
  std::vector<std::string> f;
  std::size_t pos = 0;
  while (true) {
    const std::size_t tab = line.find('\t', pos);
    f.push_back(line.substr(pos, tab == std::string::npos ? std::string::npos : tab - pos));
    if (tab == std::string::npos) break;
    pos = tab + 1;
  }
  if (f.size() != 12) return false;
  try {
    r->index = std::stoull(f[0]);
    r->code = std::stoi(f[1]);
    r->status = unescape(f[2]);
    r->check = unescape(f[3]);
    r->message = unescape(f[4]);
    r->reproduce = unescape(f[5]);
    r->trace_hash = std::stoull(f[6], nullptr, 16);
    r->steps = std::stoull(f[7]);
    r->wall_us = std::stoll(f[8]);
    r->site = unescape(f[9]);
    r->schedule_hash = std::stoull(f[10], nullptr, 16);
    r->choices = std::stoull(f[11]);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Worker {
  pid_t pid = -1;
  int fd = -1;
  std::deque<std::size_t> tasks;  // handed out, not yet reported
  std::string buffer;
  std::int64_t last_activity_ms = 0;
};

}  // namespace

void run_tasks(std::size_t count, const WorkerOptions& options, const std::function<TaskResult(std::size_t)>& run,
               const std::function<bool(const TaskResult&)>& on_result) {
  SIMBUS_ASSERT(options.jobs >= 1);
  SIMBUS_ASSERT(options.chunk_tasks >= 1);
  if (options.jobs == 1 && !options.isolate) {
    for (std::size_t i = 0; i < count; ++i) {
      if (!on_result(run(i))) return;
    }
    return;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  std::deque<std::size_t> queue;
  for (std::size_t i = 0; i < count; ++i) queue.push_back(i);
  std::vector<Worker> workers;
  bool stopping = false;

  auto start_worker = [&]() {
    Worker w;
    const std::size_t n = std::min(options.chunk_tasks, queue.size());
    for (std::size_t i = 0; i < n; ++i) {
      w.tasks.push_back(queue.front());
      queue.pop_front();
    }
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      ::close(fds[0]);
      for (std::size_t index : w.tasks) {
        const std::string line = serialize(run(index));
        std::size_t done = 0;
        while (done < line.size()) {
          const ssize_t k = ::write(fds[1], line.data() + done, line.size() - done);
          if (k <= 0) ::_exit(3);
          done += static_cast<std::size_t>(k);
        }
      }
      ::close(fds[1]);
      ::_exit(0);
    }
    ::close(fds[1]);
    w.pid = pid;
    w.fd = fds[0];
    w.last_activity_ms = now_ms();
    workers.push_back(std::move(w));
  };

  auto report_lost = [&](Worker& w, const char* status, const std::string& why) {
    // The first unreported task is the one that was running; the rest go back in the queue.
    if (w.tasks.empty()) return;
    TaskResult r;
    r.index = w.tasks.front();
    r.code = 1;
    r.status = status;
    r.check = "worker";
    r.message = why;
    w.tasks.pop_front();
    for (auto it = w.tasks.rbegin(); it != w.tasks.rend(); ++it) queue.push_front(*it);
    w.tasks.clear();
    if (!on_result(r)) stopping = true;
  };

  while (!workers.empty() || (!queue.empty() && !stopping)) {
    while (!stopping && !queue.empty() && workers.size() < options.jobs) start_worker();
    std::vector<pollfd> fds;
    for (const Worker& w : workers) fds.push_back({w.fd, POLLIN, 0});
    const int ready = ::poll(fds.data(), fds.size(), 200);
    if (ready < 0 && errno != EINTR) throw std::runtime_error("poll failed");
    for (std::size_t i = 0; i < workers.size(); ++i) {
      Worker& w = workers[i];
      bool closed = false;
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        char buf[65536];
        const ssize_t k = ::read(w.fd, buf, sizeof buf);
        if (k <= 0) {
          closed = true;
        } else {
          w.buffer.append(buf, static_cast<std::size_t>(k));
          w.last_activity_ms = now_ms();
          std::size_t nl;
          while ((nl = w.buffer.find('\n')) != std::string::npos) {
            TaskResult r;
            const std::string line = w.buffer.substr(0, nl);
            w.buffer.erase(0, nl + 1);
            if (deserialize(line, &r) && !w.tasks.empty() && r.index == w.tasks.front()) {
              w.tasks.pop_front();
              if (!stopping && !on_result(r)) stopping = true;
            }
          }
        }
      }
      if (!closed && now_ms() - w.last_activity_ms > options.task_timeout_ms) {
        ::kill(w.pid, SIGKILL);
        report_lost(w, "hung", fmt::format("worker killed after {} ms without finishing", options.task_timeout_ms));
        closed = true;
      }
      if (closed) {
        ::close(w.fd);
        int status = 0;
        ::waitpid(w.pid, &status, 0);
        if (!w.tasks.empty()) {
          const std::string why = WIFSIGNALED(status) ? fmt::format("worker died of signal {}", WTERMSIG(status))
                                                      : fmt::format("worker exited with status {}", WEXITSTATUS(status));
          report_lost(w, "crashed", why);
        }
        w.fd = -1;
      }
    }
    std::erase_if(workers, [](const Worker& w) { return w.fd < 0; });
    if (stopping) {
      for (Worker& w : workers) {
        ::kill(w.pid, SIGKILL);
        ::close(w.fd);
        ::waitpid(w.pid, nullptr, 0);
      }
      workers.clear();
      queue.clear();
    }
  }
}

}  // namespace simbus::cli

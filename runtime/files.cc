#include "runtime/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <charconv>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "base/assert.h"

namespace simbus::runtime {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// The largest incarnation core accepts (node_session_id packs it into 32 bits).
constexpr std::uint64_t incarnation_max = 0xffffffffULL;

class RealFile final : public core::File {
 public:
  RealFile(FilePool& pool, int fd, std::string path) : pool_(pool), fd_(fd), path_(std::move(path)) {}
  ~RealFile() override { ::close(fd_); }

  std::uint64_t size() override {
    return pool_.run([this] {
      struct stat st{};
      if (::fstat(fd_, &st) != 0) throw_errno("fstat " + path_);
      return static_cast<std::uint64_t>(st.st_size);
    });
  }

  std::size_t read(std::uint64_t offset, std::span<std::uint8_t> out) override {
    return pool_.run([this, offset, out] {
      std::size_t done = 0;
      while (done < out.size()) {
        const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno(fmt::format("pread {} at {}", path_, offset + done));
        if (n == 0) break;  // end of file: a short read
        done += static_cast<std::size_t>(n);
      }
      return done;
    });
  }

  void write(std::uint64_t offset, std::span<const std::uint8_t> data) override {
    pool_.run([this, offset, data] {
      std::size_t done = 0;
      while (done < data.size()) {
        const ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno(fmt::format("pwrite {} at {}", path_, offset + done));
        done += static_cast<std::size_t>(n);
      }
    });
  }

  void truncate(std::uint64_t size) override {
    pool_.run([this, size] {
      if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) throw_errno(fmt::format("ftruncate {} to {}", path_, size));
    });
  }

  void fsync() override {
    pool_.run([this] {
      if (::fdatasync(fd_) != 0) throw_errno("fdatasync " + path_);
    });
  }

 private:
  FilePool& pool_;
  int fd_;
  std::string path_;
};

}  // namespace

bool valid_file_name(std::string_view name) {
  if (name.empty() || name.size() > file_name_bytes_max || name.front() == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return name != "LOCK" && name != "incarnation" && name != "incarnation.tmp";
}

DataDir::DataDir(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw std::runtime_error("data directory: empty path");
  if (::mkdir(path_.c_str(), 0755) != 0 && errno != EEXIST) {
    throw std::runtime_error(fmt::format("data directory {}: cannot create: {}", path_, std::strerror(errno)));
  }
  dir_fd_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0) {
    throw std::runtime_error(fmt::format("data directory {}: cannot open: {}", path_, std::strerror(errno)));
  }
  const std::string lock_path = path_ + "/LOCK";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (lock_fd_ >= 0) ::close(lock_fd_);
    ::close(dir_fd_);
    throw std::runtime_error(fmt::format("data directory {}: locked by another process or unlockable: {}", path_,
                                         std::strerror(err)));
  }
}

DataDir::~DataDir() {
  ::close(lock_fd_);  // releases the flock
  ::close(dir_fd_);
}

void DataDir::fsync_dir() const {
  if (::fsync(dir_fd_) != 0) throw_errno("fsync directory " + path_);
}

std::unique_ptr<core::File> DataDir::open(FilePool& pool, std::string_view name) {
  SIMBUS_ASSERT_MSG(valid_file_name(name), "bad data file name");
  std::string path = fmt::format("{}/{}", path_, name);
  const int fd = pool.run([this, &path] {
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd >= 0) fsync_dir();  // the new name must be as durable as its data
    }
    if (fd < 0) throw_errno("open " + path);
    return fd;
  });
  return std::make_unique<RealFile>(pool, fd, std::move(path));
}

bool DataDir::remove(FilePool& pool, std::string_view name) {
  SIMBUS_ASSERT_MSG(valid_file_name(name), "bad data file name");
  const std::string path = fmt::format("{}/{}", path_, name);
  return pool.run([this, &path] {
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT) return false;
      throw_errno("unlink " + path);
    }
    fsync_dir();
    return true;
  });
}

std::uint64_t DataDir::bump_incarnation() {
  const std::string path = path_ + "/incarnation";
  const std::string tmp = path_ + "/incarnation.tmp";
  std::uint64_t previous = 0;
  const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in >= 0) {
    char text[32] = {};
    const ssize_t n = ::read(in, text, sizeof text - 1);
    ::close(in);
    std::size_t len = n > 0 ? static_cast<std::size_t>(n) : 0;
    while (len > 0 && text[len - 1] == '\n') --len;
    const auto [end, ec] = std::from_chars(text, text + len, previous);
    if (len == 0 || ec != std::errc() || end != text + len) {
      throw std::runtime_error(fmt::format("{}: not a decimal incarnation number", path));
    }
  } else if (errno != ENOENT) {
    throw std::runtime_error(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  }
  if (previous >= incarnation_max) throw std::runtime_error(fmt::format("{}: incarnation {} is at its maximum", path, previous));
  const std::uint64_t next = previous + 1;
  const std::string text = fmt::format("{}\n", next);
  const int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) throw_errno("open " + tmp);
  const bool ok = ::write(out, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fdatasync(out) == 0;
  const int err = errno;
  ::close(out);
  if (!ok) throw std::system_error(err, std::generic_category(), "write " + tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw_errno("rename " + tmp);
  fsync_dir();
  return next;
}

}  // namespace simbus::runtime

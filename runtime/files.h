// core::File over a real file in the node's data directory. Every call goes through the
// FilePool (pread/pwrite/ftruncate/fdatasync off the loop). Creating or removing a file
// fsyncs the directory too, so the name survives a power cut along with the data.
//
// Names are core's ("raft.hard", "raft.log.0"): one path component of [A-Za-z0-9._-],
// not starting with '.', at most 128 characters; anything else is a programming error.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/env.h"
#include "runtime/file_pool.h"

namespace simbus::runtime {

inline constexpr std::size_t file_name_bytes_max = 128;
bool valid_file_name(std::string_view name);

class DataDir {
 public:
  // Creates `path` if missing (parents must exist) and takes an exclusive flock on
  // <path>/LOCK: two processes on one data directory would corrupt it. Throws
  // std::runtime_error naming the path on failure. Blocking: call before the loop runs.
  explicit DataDir(std::string path);
  ~DataDir();
  DataDir(const DataDir&) = delete;
  DataDir& operator=(const DataDir&) = delete;

  const std::string& path() const { return path_; }
  // From a task.
  std::unique_ptr<core::File> open(FilePool& pool, std::string_view name);
  bool remove(FilePool& pool, std::string_view name);

  // Reads <path>/incarnation (absent: 0), adds one, writes it back durably (temp file,
  // fdatasync, rename, directory fsync) and returns it. Blocking: at boot.
  std::uint64_t bump_incarnation();

  void fsync_dir() const;  // blocking

 private:
  std::string path_;
  int dir_fd_ = -1;
  int lock_fd_ = -1;
};

}  // namespace simbus::runtime

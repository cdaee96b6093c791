// Real files through the runtime: writes, reads, truncation, durability calls off the
// loop, the data directory's lock and the persisted incarnation.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include "runtime/process.h"

namespace simbus::runtime {
namespace {

std::string fresh_dir(const std::string& name) {
  const auto base = std::filesystem::temp_directory_path() / fmt::format("simbus-rt-{}-{}", name, ::getpid());
  std::filesystem::remove_all(base);
  return base.string();
}

ProcessConfig config_with_dir(const std::string& dir) {
  ProcessConfig c;
  c.process_id = 3;
  c.listen = false;
  c.shared_secret = "test";
  c.data_dir = dir;
  return c;
}

void run_task(Process& p, std::function<void()> body) {
  bool done = false;
  p.spawn("test", [&] {
    body();
    done = true;
    p.stop();
  });
  boost::asio::steady_timer guard(p.io_context());
  guard.expires_after(std::chrono::seconds(10));
  guard.async_wait([&](const boost::system::error_code& ec) {
    if (!ec) p.stop();
  });
  p.run();
  ASSERT_TRUE(done) << "the 10 s guard stopped the loop";
}

TEST(RuntimeFiles, WriteReadTruncateSyncRemove) {
  const std::string dir = fresh_dir("files");
  Process p(config_with_dir(dir));
  auto env = p.make_env(3);
  run_task(p, [&] {
    auto f = env->open_file("raft.log.0");
    EXPECT_EQ(f->size(), 0u);
    const core::Bytes data{1, 2, 3, 4, 5};
    f->write(10, data);  // a hole before it reads as zeros
    f->fsync();
    EXPECT_EQ(f->size(), 15u);
    std::vector<std::uint8_t> out(20, 0xee);
    EXPECT_EQ(f->read(8, out), 7u);  // short at the end of the file
    EXPECT_EQ(out[0], 0);
    EXPECT_EQ(out[2], 1);
    EXPECT_EQ(out[6], 5);
    f->truncate(11);
    EXPECT_EQ(f->size(), 11u);
    f.reset();
    EXPECT_TRUE(env->remove_file("raft.log.0"));
    EXPECT_FALSE(env->remove_file("raft.log.0"));
  });
  EXPECT_FALSE(std::filesystem::exists(dir + "/raft.log.0"));
  std::filesystem::remove_all(dir);
}

TEST(RuntimeFiles, ClientEndpointFilesArePrefixed) {
  const std::string dir = fresh_dir("prefix");
  Process p(config_with_dir(dir));
  auto client = p.make_env(77);
  run_task(p, [&] {
    auto f = client->open_file("state");
    f->write(0, core::Bytes{42});
    f->fsync();
  });
  EXPECT_TRUE(std::filesystem::exists(dir + "/c77-state"));
  std::filesystem::remove_all(dir);
}

TEST(RuntimeFiles, DataSurvivesAProcessAndTheIncarnationGrows) {
  const std::string dir = fresh_dir("restart");
  std::uint64_t first = 0;
  {
    Process p(config_with_dir(dir));
    first = p.incarnation();
    auto env = p.make_env(3);
    run_task(p, [&] {
      auto f = env->open_file("raft.hard");
      f->write(0, core::Bytes{7, 7});
      f->fsync();
    });
  }
  {
    Process p(config_with_dir(dir));
    EXPECT_EQ(p.incarnation(), first + 1);
    auto env = p.make_env(3);
    EXPECT_EQ(env->incarnation(), first + 1);
    run_task(p, [&] {
      auto f = env->open_file("raft.hard");
      std::vector<std::uint8_t> out(2);
      EXPECT_EQ(f->read(0, out), 2u);
      EXPECT_EQ(out, (std::vector<std::uint8_t>{7, 7}));
    });
  }
  std::filesystem::remove_all(dir);
}

TEST(RuntimeFiles, ADataDirectoryHasOneOwner) {
  const std::string dir = fresh_dir("lock");
  Process p(config_with_dir(dir));
  EXPECT_THROW(Process second(config_with_dir(dir)), std::runtime_error);
  std::filesystem::remove_all(dir);
}

TEST(RuntimeFiles, ACorruptIncarnationFileIsRefusedByName) {
  const std::string dir = fresh_dir("corrupt");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/incarnation") << "12x\n";
  try {
    Process p(config_with_dir(dir));
    FAIL() << "accepted a corrupt incarnation file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("incarnation"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(RuntimeFiles, FileNamesAreOnePlainComponent) {
  EXPECT_TRUE(valid_file_name("raft.snap.1"));
  EXPECT_FALSE(valid_file_name("../etc/passwd"));
  EXPECT_FALSE(valid_file_name("a/b"));
  EXPECT_FALSE(valid_file_name(".hidden"));
  EXPECT_FALSE(valid_file_name(""));
  EXPECT_FALSE(valid_file_name("LOCK"));
  EXPECT_FALSE(valid_file_name(std::string(129, 'a')));
}

}  // namespace
}  // namespace simbus::runtime

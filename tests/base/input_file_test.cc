#include "base/input_file.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace simbus::base {
namespace {

namespace fs = std::filesystem;

class InputFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("simbus_input_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  fs::path dir_;
};

std::string error_of(const std::string& path, const InputLimits& limits = InputLimits{}) {
  try {
    read_input(path, limits);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST_F(InputFileTest, ReadsAWholeTextFile) {
  const std::string text = "{\"a\":1}\n\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n";
  EXPECT_EQ(read_input(write("ok.txt", text)), text);
  EXPECT_EQ(read_input(write("empty.txt", "")), "");
}

TEST_F(InputFileTest, AMultiByteCharacterAcrossAChunkBoundaryIsValid) {
  // The reader reads 64 KiB chunks: put a 4-byte character across the first boundary.
  std::string text(65534, 'x');
  text += "\xf0\x9f\x98\x80";
  text += std::string(100, 'y');
  std::string lines;
  for (std::size_t i = 0; i < text.size(); i += 1000) lines += text.substr(i, 1000) + "\n";
  EXPECT_EQ(read_input(write("big.txt", text)), text);
  EXPECT_EQ(read_input(write("lines.txt", lines)), lines);
}

TEST_F(InputFileTest, ARegularFileOverTheLimitIsRefusedBeforeReading) {
  InputLimits limits;
  limits.bytes_max = 1000;
  const std::string message = error_of(write("big.txt", std::string(1001, 'a')), limits);
  EXPECT_NE(message.find("1001 bytes is more than the input limit of 1000 bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("--input-max-mb"), std::string::npos);
  EXPECT_EQ(read_input(write("edge.txt", std::string(1000, 'a')), limits).size(), 1000u);
}

TEST_F(InputFileTest, NulBytesAndInvalidUtf8NameTheLine) {
  EXPECT_NE(error_of(write("nul.txt", std::string("ok\nok\nab\0c\n", 11))).find("nul.txt:3: NUL byte at column 3"),
            std::string::npos);
  EXPECT_NE(error_of(write("bad.txt", "a\n\xff\n")).find("bad.txt:2: invalid UTF-8 (byte 0xff) at column 1"),
            std::string::npos);
  EXPECT_NE(error_of(write("overlong.txt", "\xc0\x80")).find("invalid UTF-8"), std::string::npos);
  EXPECT_NE(error_of(write("surrogate.txt", "\xed\xa0\x80")).find("invalid UTF-8"), std::string::npos);
  EXPECT_NE(error_of(write("cut.txt", "abc\xe2\x82")).find("cut.txt:1: invalid UTF-8 (byte 0xe2) at column 4"),
            std::string::npos);
  InputLimits binary;
  binary.text = false;
  EXPECT_EQ(read_input(write("binary.bin", std::string("\0\xff", 2)), binary).size(), 2u);
}

TEST_F(InputFileTest, ALineOverItsLimitIsRefused) {
  InputLimits limits;
  limits.line_bytes_max = 10;
  EXPECT_EQ(read_input(write("ok.txt", "0123456789\n0123456789"), limits).size(), 21u);
  const std::string message = error_of(write("long.txt", "short\n0123456789A\n"), limits);
  EXPECT_NE(message.find("long.txt:2: line longer than 10 bytes"), std::string::npos) << message;
  EXPECT_NE(error_of(write("tail.txt", "short\nshort\n0123456789A"), limits).find("tail.txt:3:"), std::string::npos);
}

TEST_F(InputFileTest, DirectoriesAndMissingFilesAreRefused) {
  EXPECT_NE(error_of(dir_.string()).find("is a directory"), std::string::npos);
  EXPECT_NE(error_of((dir_ / "missing").string()).find("No such file"), std::string::npos);
}

TEST_F(InputFileTest, DevicesAreReadUnderTheSameCaps) {
  EXPECT_NE(error_of("/dev/zero").find("/dev/zero:1: NUL byte at column 1"), std::string::npos);
  InputLimits binary;
  binary.text = false;
  binary.bytes_max = 1 << 20;
  binary.line_bytes_max = std::uint64_t{1} << 40;
  EXPECT_NE(error_of("/dev/zero", binary).find("more than the input limit of 1048576 bytes"), std::string::npos);
  EXPECT_NE(error_of("/dev/urandom").find("/dev/urandom:"), std::string::npos);
  EXPECT_EQ(read_input("/dev/null"), "");
}

TEST_F(InputFileTest, AFifoWithNoWriterReadsEmptyAndAStalledOneGivesUp) {
  const std::string fifo = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(read_input(fifo), "");
  // A writer that opens the FIFO, writes a line and then says nothing more.
  const int writer = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK);
  ASSERT_GE(writer, 0);
  ASSERT_EQ(::write(writer, "{}\n", 3), 3);
  InputLimits limits;
  limits.stall_ms_max = 50;
  EXPECT_NE(error_of(fifo, limits).find("no data for"), std::string::npos);
  ::close(writer);
}

TEST(Excerpt, QuotesEscapesAndCuts) {
  EXPECT_EQ(excerpt("abc"), "\"abc\"");
  EXPECT_EQ(excerpt(std::string("a\0\"\\\n\xff", 6)), "\"a\\x00\\\"\\\\\\x0a\\xff\"");
  const std::string cut = excerpt(std::string(10'000'000, 'z'), 8);
  EXPECT_EQ(cut, "\"zzzzzzzz\"... (10000000 bytes)");
}

// The oracle decodes each sequence to its code point and applies the definition of
// well-formed UTF-8 (shortest form, no surrogates, at most U+10FFFF), where the reader
// checks byte ranges.
std::size_t oracle_first_invalid(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b == 0) return i;
    int n = 0;
    std::uint32_t cp = 0;
    if (b < 0x80) n = 1, cp = b;
    else if ((b & 0xe0) == 0xc0) n = 2, cp = b & 0x1f;
    else if ((b & 0xf0) == 0xe0) n = 3, cp = b & 0x0f;
    else if ((b & 0xf8) == 0xf0) n = 4, cp = b & 0x07;
    else return i;
    if (i + n > s.size()) return i;
    for (int k = 1; k < n; k++) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    const std::uint32_t min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_length[n] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += n;
  }
  return s.size();
}

RC_GTEST_PROP(Utf8, AgreesWithADecodingOracle, ()) {
  // Bytes drawn mostly from the interesting ranges: ASCII, continuation, lead bytes.
  const auto bytes = *rc::gen::container<std::vector<int>>(
      rc::gen::oneOf(rc::gen::inRange<int>(0x20, 0x7f), rc::gen::inRange<int>(0x80, 0xc0),
                     rc::gen::inRange<int>(0xc0, 0x100), rc::gen::element(0, 0xe0, 0xed, 0xf0, 0xf4)));
  std::string s;
  for (int c : bytes) s += static_cast<char>(c);
  RC_ASSERT(first_invalid_text_byte(s) == oracle_first_invalid(s));
}

}  // namespace
}  // namespace simbus::base

// Running a command line from a CLI test: its exit status, stdout and stderr.
#pragma once
#include <string>

namespace simbus::test {

struct ShellResult {
  int code = -1;     // exit status, or 128 + signal
  std::string out;   // stdout
  std::string err;   // stderr
};

std::string read_whole_file(const std::string& path);

// Runs `command` through /bin/sh; stderr goes through a temporary file of `tag`'s name.
ShellResult shell(const std::string& command, const std::string& tag);

// The value of the first `key: value` line of `out`, or empty.
std::string line_value(const std::string& out, const std::string& key);

}  // namespace simbus::test

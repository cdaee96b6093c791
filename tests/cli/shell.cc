#include "tests/cli/shell.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace simbus::test {

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

ShellResult shell(const std::string& command, const std::string& tag) {
  static int counter = 0;
  const std::string err_path = (std::filesystem::temp_directory_path() /
                                ("simbus-" + tag + "-err-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
                                   .string();
  ShellResult r;
  FILE* p = ::popen((command + " 2>" + err_path).c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t k;
  while ((k = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, k);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.err = read_whole_file(err_path);
  std::remove(err_path.c_str());
  return r;
}

std::string line_value(const std::string& out, const std::string& key) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ": ", 0) == 0) return line.substr(key.size() + 2);
  }
  return "";
}

}  // namespace simbus::test

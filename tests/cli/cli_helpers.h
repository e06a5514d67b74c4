#pragma once
// Running the capsim binary from tests: exit code and output, files, scratch directories.
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace fs = std::filesystem;

namespace capsim_test {

struct Result {
  int code = -1;
  std::string out;  // stdout and stderr together
};

inline Result sh(const std::string& args) {
  const std::string cmd = std::string(CAPSIM_BINARY) + " " + args + " 2>&1";
  Result r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline fs::path temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("capsim-cli-test-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

inline const std::string kSmall = std::string(CAPSIM_SOURCE_DIR) + "/scenarios/validation/mmc.yaml";
inline const std::string kShort = " --set horizon=300s --set warmup=10s --set report.sample_every=30s";

}  // namespace capsim_test

using namespace capsim_test;

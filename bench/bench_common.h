#pragma once
// What the benchmarks share: process CPU time and peak memory (getrusage), and the
// `[scenario.yaml] [--set path=value]...` arguments of the end-to-end ones.
#include <sys/resource.h>

#include <string>
#include <vector>

namespace capsim::bench {

/// User CPU seconds of this process: on a shared machine wall time also counts others' turns.
inline double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec) + static_cast<double>(u.ru_utime.tv_usec) * 1e-6;
}

/// Peak resident memory of this process so far, in MB.
inline double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

struct ScenarioArgs {
  std::string file;
  std::vector<std::string> sets;
  unsigned threads = 0;  ///< a partitioned run's threads (0: the machine's)
};

/// `[scenario.yaml] [--set path=value]... [--threads N]`; `file` defaults to `default_file`.
inline ScenarioArgs scenario_args(int argc, char** argv, std::string default_file) {
  ScenarioArgs a{std::move(default_file), {}, 0};
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if (s == "--set" && i + 1 < argc) {
      a.sets.emplace_back(argv[++i]);
    } else if (s == "--threads" && i + 1 < argc) {
      a.threads = static_cast<unsigned>(std::stoul(argv[++i]));
    } else {
      a.file = s;
    }
  }
  return a;
}

}  // namespace capsim::bench

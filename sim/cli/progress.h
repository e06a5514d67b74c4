#pragma once
// A one-line progress bar with rate and ETA on stderr, drawn only when stderr is a terminal.
#include <chrono>
#include <string>

namespace capsim::cli {

class ProgressBar {
 public:
  ProgressBar(std::string label, bool enabled);
  ~ProgressBar();
  /// fraction in [0, 1]; redraws at most ten times a second.
  void update(double fraction);
  void finish();

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

/// True when stderr is a terminal.
bool stderr_is_terminal();

}  // namespace capsim::cli

#pragma once
// A one-line progress bar with rate and ETA on stderr, drawn only when stderr is a terminal.
#include <chrono>
#include <string>

namespace capsim::cli {

class ProgressBar {
 public:
  /// `total` units of `unit` make up the whole job (e.g. 12 "runs", or 7200 "sim-s"); the
  /// bar shows the rate in units per wall-clock second. Without a unit, no rate is shown.
  ProgressBar(std::string label, bool enabled, double total = 0, std::string unit = "");
  ~ProgressBar();
  /// fraction in [0, 1]; redraws at most ten times a second.
  void update(double fraction);
  void finish();

 private:
  std::string label_;
  bool enabled_;
  double total_;
  std::string unit_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

/// True when stderr is a terminal.
bool stderr_is_terminal();

}  // namespace capsim::cli

#include "sim/cli/progress.h"

#include <cstdio>
#include <fmt/format.h>
#include <unistd.h>

namespace capsim::cli {

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(std::string label, bool enabled, double total, std::string unit)
    : label_(std::move(label)), enabled_(enabled), total_(total), unit_(std::move(unit)), start_(std::chrono::steady_clock::now()), last_(start_) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(double fraction) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100) && fraction < 1.0) return;
  last_ = now;
  drawn_ = true;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = fraction > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(kWidth, '.');
  const std::string rate = unit_.empty() || elapsed <= 0
                               ? std::string()
                               : fmt::format("  {:.3g} {}/s", fraction * total_ / elapsed, unit_);
  std::fprintf(stderr, "\r%s [%s] %5.1f%%%s  %.1fs elapsed, ETA %.1fs  ", label_.c_str(), bar.c_str(),
               fraction * 100.0, rate.c_str(), elapsed, eta);
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (enabled_ && drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
  drawn_ = false;
}

}  // namespace capsim::cli

#pragma once
// Samples a row of numbers every `step` of simulated time into a TimeSeries. The row comes
// from a callback (one call per step, not per event). The first column is the step's end time.
#include <functional>
#include <vector>

#include "sim/engine/engine.h"
#include "sim/report/report.h"

namespace capsim {

class Sampler final : public Component {
 public:
  using RowFn = std::function<void(SimTime now, std::vector<double>& row)>;

  Sampler(Engine& engine, SimTime step, std::vector<std::string> columns, RowFn fn)
      : engine_(engine), step_(step), fn_(std::move(fn)) {
    series_.columns.push_back("t_s");
    for (auto& c : columns) series_.columns.push_back(std::move(c));
    id_ = engine_.add_component(this);
  }
  /// Schedules the first sample one step after now.
  void start() { engine_.schedule_in(step_, id_, 0, 0, Priority::kLast); }
  void handle(const Event&) override {
    row_.clear();
    row_.push_back(engine_.now().to_seconds());
    fn_(engine_.now(), row_);
    series_.rows.push_back(row_);
    engine_.schedule_in(step_, id_, 0, 0, Priority::kLast);
  }
  [[nodiscard]] const TimeSeries& series() const { return series_; }
  TimeSeries take() { return std::move(series_); }

 private:
  Engine& engine_;
  SimTime step_;
  RowFn fn_;
  TimeSeries series_;
  std::vector<double> row_;
  std::uint32_t id_ = 0;
};

}  // namespace capsim

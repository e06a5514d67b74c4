#pragma once
// What the world asks of each of its parts (traffic source, pool, clusters, metrics, later
// routers, fault processes and meters) at set-up, warm-up, sampling and reporting. A part
// adapts a model object that has some of these member functions; the world keeps the parts
// in order, so the report's keys and the timeseries' columns come out in a fixed order.
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "sim/engine/time.h"
#include "sim/report/report.h"

namespace capsim {

class WorldPart {
 public:
  virtual ~WorldPart() = default;
  virtual void start() = 0;
  virtual void reset_stats() = 0;
  [[nodiscard]] virtual std::vector<std::string> sample_columns() const = 0;
  virtual void sample(SimTime now, std::vector<double>& row) = 0;
  virtual void write_report(Json& j) const = 0;
};

namespace detail {
template <class T>
concept HasStart = requires(T& t) { t.start(); };
template <class T>
concept HasReset = requires(T& t) { t.reset_stats(); };
template <class T>
concept HasSample = requires(T& t, SimTime now, std::vector<double>& row) {
  t.sample_columns();
  t.sample(now, row);
};
template <class T>
concept HasReport = requires(const T& t, Json& j) { t.write_report(j); };
}  // namespace detail

/// A WorldPart over a model object `T`, calling whichever of the hooks T has.
template <class T>
class PartOf final : public WorldPart {
 public:
  explicit PartOf(T& t) : t_(t) {}
  void start() override {
    if constexpr (detail::HasStart<T>) t_.start();
  }
  void reset_stats() override {
    if constexpr (detail::HasReset<T>) t_.reset_stats();
  }
  [[nodiscard]] std::vector<std::string> sample_columns() const override {
    if constexpr (detail::HasSample<T>) return t_.sample_columns();
    return {};
  }
  void sample(SimTime now, std::vector<double>& row) override {
    if constexpr (detail::HasSample<T>) t_.sample(now, row);
  }
  void write_report(Json& j) const override {
    if constexpr (detail::HasReport<T>) t_.write_report(j);
  }

 private:
  T& t_;
};

template <class T>
std::unique_ptr<WorldPart> part_of(T& t) {
  return std::make_unique<PartOf<T>>(t);
}

}  // namespace capsim

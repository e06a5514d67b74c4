#pragma once
// Turns a population of users (or a trace) into a stream of requests handed to a RequestSink.
// Synthetic arrivals are a non-homogeneous Poisson process by time rescaling over pieces of
// constant rate (RateModel): one event per request, whatever the number of users. The tier
// of a request is drawn in proportion to the tiers' rates, its class from the tier's mix, its
// sender from the tier's intensity groups (UserGroups) and its token lengths from the class
// (TokenLength). Three 64-bit draws a request: the gap (stream traffic.arrivals); the tier,
// class and intensity group as one pick from the high half of a draw and the sender within
// the group from its low half (traffic.users); both token lengths from the halves of one draw
// (traffic.tokens).
//
//   TrafficSource src(spec, run.start, engine, streams, requests, router);
//   src.start();
//   engine.run();
#include <cstdint>
#include <string>
#include <vector>

#include <boost/random/exponential_distribution.hpp>

#include "sim/random/distribution.h"

#include "models/request.h"
#include "models/traffic/rate_model.h"
#include "models/traffic/token_length.h"
#include "models/traffic/traffic_spec.h"
#include "models/traffic/user_groups.h"
#include "sim/engine/engine.h"
#include "sim/random/rng.h"
#include "sim/report/report.h"

namespace capsim {

class TrafficSource final : public Component {
 public:
  /// `start` is the wall-clock instant of simulated time 0 and the scenario's time zone. `spec`
  /// must outlive the source; the engine's horizon must be set (it bounds the user-id space).
  TrafficSource(const TrafficSpec& spec, units::DateTime start, Engine& engine, const RandomStreams& streams,
                RequestPool& pool, RequestSink& sink);

  /// Schedules the first arrival.
  void start();
  /// The engine's index of this source (its events only make requests and hand them on).
  [[nodiscard]] std::uint32_t component() const { return id_; }
  /// The most (tier, class, intensity group) cells listed for the pick of a request's sender;
  /// beyond, the group is drawn per request (one more draw).
  static constexpr std::size_t kMaxCells = 4096;
  void handle(const Event& e) override;
  /// Restarts the statistics (end of the warm-up).
  void reset_stats();
  /// `arrivals:<tier>` (per step) and, for user tiers, `active_users:<tier>` (mean over the step).
  [[nodiscard]] std::vector<std::string> sample_columns() const;
  void sample(SimTime now, std::vector<double>& row);
  /// tiers.<tier>, classes.<class>, traffic.*, checks.traffic_rate and incidents.
  void write_report(Json& j) const;

  /// Requests sent in the statistics window (all tiers, or one).
  [[nodiscard]] std::uint64_t arrived() const;
  [[nodiscard]] std::uint64_t arrived(std::size_t tier) const {
    return tier_sent(tier).n - tiers_[tier].at_reset.n;
  }
  /// The expected number of synthetic requests in the statistics window (the rate's integral).
  [[nodiscard]] double expected_arrivals() const;
  /// Trace replay: the prefix-block ids that Request::prefix_begin/prefix_blocks refer to.
  [[nodiscard]] const std::vector<std::uint32_t>& block_table() const;
  [[nodiscard]] const RateModel& rates() const { return rates_; }
  [[nodiscard]] const UserGroups& groups(std::size_t tier) const { return tiers_[tier].groups; }

 private:
  enum Kind : std::uint32_t { kArrival = 0, kTraceRecord = 1, kTraceCopy = 2 };
  struct Counts {
    std::uint64_t n = 0, in = 0, out = 0;
    Counts& operator+=(const Counts& o) {
      n += o.n;
      in += o.in;
      out += o.out;
      return *this;
    }
  };
  struct TierState {
    UserGroups groups;
    std::vector<std::uint64_t> group_users;
    bool by_rate = false;  // no users: every request has user 0
    double rate = 0;
    double integral = 0;  // expected requests from 0 to the current piece's start
    Counts at_reset, at_sample;
    double integral_at_reset = 0;
  };
  struct ClassDraw {
    TokenLength input, output;
    std::uint16_t model;
  };

  [[gnu::noinline]] void enter_piece(std::int64_t t_ns);  // once a piece: kept out of on_arrival
  void schedule_next(std::int64_t from_ns);
  void schedule_arrival(double t_ns);
  [[gnu::noinline]] void schedule_after_piece();  // a gap crossed the piece's end
  void on_arrival();
  void on_trace_record();
  void emit_trace(std::size_t record);
  SimTime trace_time(std::size_t record, std::uint64_t loop) const;
  [[gnu::noinline]] std::uint64_t sender_slow(std::size_t tier, std::uint16_t group,
                                              std::uint32_t bits);
  void send(RequestId id, std::size_t slot);
  [[nodiscard]] Counts tier_sent(std::size_t tier) const;
  [[nodiscard]] Counts class_sent(std::size_t cls) const;
  [[nodiscard]] double integral_now(std::size_t tier) const;

  const TrafficSpec& spec_;
  RateModel rates_;
  Engine& engine_;
  RequestPool& pool_;
  RequestSink& sink_;
  Rng arrival_rng_;
  Rng user_rng_;
  Rng token_rng_;
  std::uint32_t id_;
  boost::random::exponential_distribution<double> unit_exp_;

  std::vector<TierState> tiers_;
  std::vector<ClassDraw> class_draw_;
  std::size_t classes_ = 0;
  std::vector<Counts> sent_;  // per (tier, class): slot tier x classes + class
  std::vector<Counts> class_at_reset_;
  // A request's (tier, class, intensity group) is one draw over the cells with weight tier rate
  // x class share x the group's request share, rebuilt at each piece. Where that would list
  // more than kMaxCells, cells are (tier, class) and the group is drawn per request.
  static constexpr std::uint16_t kAnyGroup = 0xffff;  // UserGroups has at most 64 x 64 groups
  struct Cell {
    std::uint32_t users;   // in the group (1 for a rate tier: user 0); 0: see sender_slow
    std::uint32_t slot;    // index into sent_
    std::uint16_t group;   // kAnyGroup: drawn per request
    std::uint16_t groups;  // the tier's group count (user ids are j x groups + group)
    std::uint16_t tier;
    std::uint16_t cls;
  };
  std::vector<Cell> cells_;
  dist::AliasTable cell_pick_;
  std::vector<double> cell_shares_;  // the cells' shares cell_pick_ was built from
  double total_rate_ = 0;
  double ns_per_unit_ = 0;  // 1e9 / total_rate_: a unit exponential gap in ns
  std::int64_t piece_start_ns_ = 0;
  std::int64_t piece_end_ns_ = 0;
  double piece_end_ = 0;  // piece_end_ns_ as a double, as gaps are compared with it

  // Trace replay.
  const Trace* trace_ = nullptr;
  std::size_t trace_next_ = 0;
  std::uint64_t trace_loop_ = 0;
  std::int64_t trace_period_ns_ = 0;

  std::vector<double> active_at_sample_;
};

}  // namespace capsim

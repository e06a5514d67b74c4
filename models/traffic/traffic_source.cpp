#include "models/traffic/traffic_source.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace capsim {

namespace {

const std::vector<std::uint32_t> kNoBlocks;

}  // namespace

TrafficSource::TrafficSource(const TrafficSpec& spec, units::DateTime start, Engine& engine,
                             const RandomStreams& streams, RequestPool& pool, RequestSink& sink)
    : spec_(spec),
      rates_(spec, start),
      engine_(engine),
      pool_(pool),
      sink_(sink),
      arrival_rng_(streams.stream("traffic.arrivals")),
      user_rng_(streams.stream("traffic.users")),
      token_rng_(streams.stream("traffic.tokens")),
      id_(engine.add_component(this)),
      sent_(spec.tiers.size() * spec.classes.size()),
      class_at_reset_(spec.classes.size()),
      active_at_sample_(spec.tiers.size(), 0.0) {
  classes_ = spec.classes.size();
  for (const auto& c : spec.classes) {
    class_draw_.push_back(
        ClassDraw{TokenLength(c.input_tokens), TokenLength(c.output_tokens), c.model_index});
  }
  const double horizon_s = engine.horizon() == SimTime::max() ? 0.0 : engine.horizon().to_seconds();
  for (std::size_t i = 0; i < spec.tiers.size(); ++i) {
    const TierSpec& t = spec.tiers[i];
    tiers_.push_back(TierState{UserGroups(t.intensity, rates_.max_users(i, horizon_s), spec.groups_per_halving),
                               {}, t.by_rate, 0, 0, {}, {}, 0});
    active_at_sample_[i] = rates_.active_users(i, 0.0);
  }
  if (spec.trace) {
    trace_ = spec.trace->data.get();
    const auto& t = trace_->t_ns;
    const std::int64_t span = t.back() - t.front();
    // A loop lasts the trace's span plus one mean gap, so the first record of the next pass
    // does not land on the last of this one.
    const std::int64_t gap = t.size() > 1 ? span / static_cast<std::int64_t>(t.size() - 1) : 0;
    trace_period_ns_ = std::max<std::int64_t>(span + gap, SimTime::ms(1).count_ns());
  }
}

void TrafficSource::start() {
  if (trace_ != nullptr) {
    engine_.schedule(trace_time(0, 0), id_, kTraceRecord);
    return;
  }
  enter_piece(engine_.now().count_ns());
  schedule_next(engine_.now().count_ns());
}

void TrafficSource::handle(const Event& e) {
  switch (e.kind) {
    case kArrival:
      on_arrival();
      break;
    case kTraceRecord:
      on_trace_record();
      break;
    default:
      emit_trace(static_cast<std::size_t>(e.data));
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Synthetic arrivals

void TrafficSource::enter_piece(std::int64_t t_ns) {
  for (auto& t : tiers_) t.integral += t.rate * static_cast<double>(piece_end_ns_ - piece_start_ns_) * 1e-9;
  piece_start_ns_ = t_ns;
  piece_end_ns_ = rates_.piece_end(t_ns);
  piece_end_ = static_cast<double>(piece_end_ns_);
  const double mid_s = 0.5e-9 * static_cast<double>(piece_start_ns_ + piece_end_ns_);
  total_rate_ = 0;
  cells_.clear();
  std::vector<double> weights;
  std::vector<double> mix;
  std::size_t listed = 0;  // cells with every group listed
  for (std::size_t i = 0; i < tiers_.size(); ++i) {
    TierState& t = tiers_[i];
    t.rate = rates_.rate(i, mid_s);
    total_rate_ += t.rate;
    if (t.rate <= 0) continue;
    t.groups.fill_counts(t.by_rate ? 1.0 : rates_.users(i, mid_s), t.group_users);
    rates_.mix(i, mid_s, mix);
    for (const double m : mix) listed += m > 0 ? t.groups.size() : 0;
  }
  const bool by_group = listed <= kMaxCells;
  for (std::size_t i = 0; i < tiers_.size(); ++i) {
    const TierState& t = tiers_[i];
    if (t.rate <= 0) continue;
    rates_.mix(i, mid_s, mix);
    const auto groups = static_cast<std::uint16_t>(t.groups.size());
    for (std::size_t c = 0; c < mix.size(); ++c) {
      if (mix[c] <= 0) continue;
      const auto tier = static_cast<std::uint16_t>(i);
      const auto cls = static_cast<std::uint16_t>(c);
      const auto slot = static_cast<std::uint32_t>(i * classes_ + c);
      if (!by_group && groups > 1) {
        cells_.push_back(Cell{0, slot, kAnyGroup, groups, tier, cls});
        weights.push_back(t.rate * mix[c]);
        continue;
      }
      for (std::uint16_t g = 0; g < groups; ++g) {
        // Groups of 2^32 users or more take the slow path, which draws 64 bits for the user.
        const std::uint64_t n = t.group_users[g];
        const std::uint32_t users = n <= 0xffffffffU ? static_cast<std::uint32_t>(n) : 0U;
        cells_.push_back(Cell{users, slot, g, groups, tier, cls});
        weights.push_back(t.rate * mix[c] * t.groups.request_share(g));
      }
    }
  }
  if (total_rate_ > 0) {
    ns_per_unit_ = 1e9 / total_rate_;
    for (double& w : weights) w /= total_rate_;
    // The table resolves shares to 2^-32, so shares that moved by less than 1e-12 of their
    // value since it was built (a profile that scales every tier alike) keep it.
    bool same = weights.size() == cell_shares_.size();
    for (std::size_t k = 0; same && k < weights.size(); ++k) {
      same = std::fabs(weights[k] - cell_shares_[k]) <= 1e-12 * cell_shares_[k];
    }
    if (!same) {
      cell_pick_ = dist::AliasTable(weights);
      cell_shares_ = std::move(weights);
    }
  }
}

void TrafficSource::schedule_next(std::int64_t from_ns) {
  double t = static_cast<double>(from_ns);
  for (;;) {
    if (total_rate_ > 0) {
      // Exponential gaps at the piece's constant rate; a gap that crosses the piece's end is
      // dropped and drawn afresh from there (memorylessness), which is exact time rescaling.
      const double next = t + unit_exp_(arrival_rng_) * ns_per_unit_;
      if (next < piece_end_) {
        schedule_arrival(next);
        return;
      }
    }
    if (piece_end_ns_ > engine_.horizon().count_ns()) return;
    enter_piece(piece_end_ns_);
    t = static_cast<double>(piece_start_ns_);
  }
}

void TrafficSource::schedule_arrival(double t_ns) {
  // Round half up, as llround does for the non-negative times here: below 2^52 adding 1/2 is
  // exact, and from 2^52 on every double is whole.
  const auto ns = static_cast<std::int64_t>(t_ns < 0x1p52 ? t_ns + 0.5 : t_ns);
  engine_.schedule(SimTime::ns(ns), id_, kArrival);
}

void TrafficSource::schedule_after_piece() {
  if (piece_end_ns_ > engine_.horizon().count_ns()) return;
  enter_piece(piece_end_ns_);
  schedule_next(piece_start_ns_);
}

// Flattened: the Mersenne Twister steps inline here instead of being called.
[[gnu::flatten]] void TrafficSource::on_arrival() {
  const std::uint64_t pick = user_rng_();
  const Cell& cell = cells_[cell_pick_.sample(static_cast<std::uint32_t>(pick >> 32))];
  const std::uint32_t slot = cell.slot;  // schedule_next may refill cells_
  const ClassDraw& c = class_draw_[cell.cls];
  const SimTime now = engine_.now();
  const RequestId id = pool_.acquire();
  Request& r = pool_[id];
  r.arrival = now;
  const auto bits = static_cast<std::uint32_t>(pick);
  r.user = cell.users != 0 ? UserGroups::user_id(dist::uniform_below(cell.users, bits, user_rng_),
                                                 cell.group, cell.groups)
                           : sender_slow(cell.tier, cell.group, bits);
  const std::uint64_t tokens = token_rng_();
  r.input_tokens = c.input.draw(static_cast<std::uint32_t>(tokens >> 32), token_rng_);
  r.output_tokens = c.output.draw(static_cast<std::uint32_t>(tokens), token_rng_);
  r.tier = cell.tier;
  r.cls = cell.cls;
  r.model = c.model;
  // schedule_next() in short: the piece this arrival fell in has a positive rate.
  const double next = static_cast<double>(now.count_ns()) + unit_exp_(arrival_rng_) * ns_per_unit_;
  if (next < piece_end_) [[likely]] {
    schedule_arrival(next);
  } else {
    schedule_after_piece();
  }
  send(id, slot);
}

// The sender where the cell does not say it all: too many cells to list every group (the group
// comes from the high half of one more draw), or a group of 2^32 users or more.
std::uint64_t TrafficSource::sender_slow(std::size_t tier, std::uint16_t group,
                                         std::uint32_t bits) {
  const TierState& t = tiers_[tier];
  const std::size_t g =
      group != kAnyGroup ? group : t.groups.pick(static_cast<std::uint32_t>(user_rng_() >> 32));
  const std::uint64_t j = dist::uniform_below(t.group_users[g], bits, user_rng_);
  return UserGroups::user_id(j, g, t.groups.size());
}

void TrafficSource::send(RequestId id, std::size_t slot) {
  const Request& r = pool_[id];
  Counts& t = sent_[slot];
  ++t.n;
  t.in += r.input_tokens;
  t.out += r.output_tokens;
  sink_.submit(id);
}

// ---------------------------------------------------------------------------------------------
// Trace replay

SimTime TrafficSource::trace_time(std::size_t record, std::uint64_t loop) const {
  const double trace_ns = static_cast<double>(trace_->t_ns[record]) +
                          static_cast<double>(loop) * static_cast<double>(trace_period_ns_);
  const std::int64_t offset = SimTime::seconds(spec_.trace->offset_s).count_ns();
  if (spec_.trace->speedup == 1.0) {
    return SimTime::ns(offset + trace_->t_ns[record] + static_cast<std::int64_t>(loop) * trace_period_ns_);
  }
  return SimTime::ns(offset + std::llround(trace_ns / spec_.trace->speedup));
}

void TrafficSource::on_trace_record() {
  const std::size_t record = trace_next_;
  const TraceSpec& ts = *spec_.trace;
  // floor(m) copies, plus one more with probability frac(m): thinning below 1, duplication above.
  const double m = ts.rate_multiplier;
  const double whole = std::floor(m);
  auto copies = static_cast<std::uint64_t>(whole);
  if (dist::unit_uniform(user_rng_) < m - whole) ++copies;
  if (copies > 0) emit_trace(record);
  for (std::uint64_t k = 1; k < copies; ++k) {
    const SimTime jitter = SimTime::seconds(dist::unit_uniform(user_rng_) * ts.jitter_s);
    engine_.schedule(engine_.now() + jitter, id_, kTraceCopy, record);
  }
  ++trace_next_;
  if (trace_next_ == trace_->size()) {
    if (!ts.loop) return;
    trace_next_ = 0;
    ++trace_loop_;
  }
  const SimTime next = trace_time(trace_next_, trace_loop_);
  if (next <= engine_.horizon()) engine_.schedule(next, id_, kTraceRecord);
}

void TrafficSource::emit_trace(std::size_t record) {
  const RequestId id = pool_.acquire();
  Request& r = pool_[id];
  r.arrival = engine_.now();
  r.user = record;  // a trace names no users: each record is its own sender
  r.input_tokens = trace_->input_tokens[record];
  r.output_tokens = trace_->output_tokens[record];
  if (!trace_->prefix_begin.empty()) {
    r.prefix_begin = trace_->prefix_begin[record];
    r.prefix_blocks = trace_->prefix_blocks[record];
  }
  send(id, 0);
}

const std::vector<std::uint32_t>& TrafficSource::block_table() const {
  return trace_ != nullptr ? trace_->blocks : kNoBlocks;
}

// ---------------------------------------------------------------------------------------------
// Statistics

double TrafficSource::integral_now(std::size_t tier) const {
  const TierState& t = tiers_[tier];
  const double since = std::max(0.0, static_cast<double>(engine_.now().count_ns() - piece_start_ns_) * 1e-9);
  return t.integral + t.rate * since;
}

TrafficSource::Counts TrafficSource::tier_sent(std::size_t tier) const {
  Counts sum;
  for (std::size_t c = 0; c < classes_; ++c) sum += sent_[tier * classes_ + c];
  return sum;
}

TrafficSource::Counts TrafficSource::class_sent(std::size_t cls) const {
  Counts sum;
  for (std::size_t t = 0; t < tiers_.size(); ++t) sum += sent_[t * classes_ + cls];
  return sum;
}

std::uint64_t TrafficSource::arrived() const {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < tiers_.size(); ++i) n += arrived(i);
  return n;
}

double TrafficSource::expected_arrivals() const {
  double e = 0;
  for (std::size_t i = 0; i < tiers_.size(); ++i) e += integral_now(i) - tiers_[i].integral_at_reset;
  return e;
}

void TrafficSource::reset_stats() {
  for (std::size_t i = 0; i < tiers_.size(); ++i) {
    tiers_[i].at_reset = tier_sent(i);
    tiers_[i].integral_at_reset = integral_now(i);
  }
  for (std::size_t c = 0; c < class_at_reset_.size(); ++c) class_at_reset_[c] = class_sent(c);
}

std::vector<std::string> TrafficSource::sample_columns() const {
  std::vector<std::string> cols;
  for (const auto& t : spec_.tiers) cols.push_back("arrivals:" + t.name);
  if (trace_ == nullptr) {
    for (const auto& t : spec_.tiers) {
      if (!t.by_rate) cols.push_back("active_users:" + t.name);
    }
  }
  return cols;
}

void TrafficSource::sample(SimTime now, std::vector<double>& row) {
  for (std::size_t i = 0; i < tiers_.size(); ++i) {
    const Counts sent = tier_sent(i);
    row.push_back(static_cast<double>(sent.n - tiers_[i].at_sample.n));
    tiers_[i].at_sample = sent;
  }
  if (trace_ != nullptr) return;
  for (std::size_t i = 0; i < tiers_.size(); ++i) {
    if (spec_.tiers[i].by_rate) continue;
    // The user count moves slowly: the trapezoid over the step is its time-weighted mean.
    const double a = rates_.active_users(i, now.to_seconds());
    row.push_back(0.5 * (a + active_at_sample_[i]));
    active_at_sample_[i] = a;
  }
}

namespace {
void put_counts(Json& j, std::uint64_t n, std::uint64_t in, std::uint64_t out) {
  j["arrived"] = n;
  j["input_tokens"] = in;
  j["output_tokens"] = out;
  j["input_tokens_mean"] = n > 0 ? static_cast<double>(in) / static_cast<double>(n) : 0.0;
  j["output_tokens_mean"] = n > 0 ? static_cast<double>(out) / static_cast<double>(n) : 0.0;
}
}  // namespace

void TrafficSource::write_report(Json& j) const {
  const double now_s = engine_.now().to_seconds();
  std::uint64_t n = 0, in = 0, out = 0;
  for (std::size_t i = 0; i < tiers_.size(); ++i) {
    const TierState& t = tiers_[i];
    const TierSpec& spec = spec_.tiers[i];
    const Counts sent = tier_sent(i);
    Json& tj = j["tiers"][spec.name];
    put_counts(tj, sent.n - t.at_reset.n, sent.in - t.at_reset.in, sent.out - t.at_reset.out);
    n += sent.n - t.at_reset.n;
    in += sent.in - t.at_reset.in;
    out += sent.out - t.at_reset.out;
    if (!spec.by_rate) {
      tj["users"] = rates_.users(i, now_s);
      tj["active_users"] = rates_.active_users(i, now_s);
      tj["intensity_groups"] = t.groups.size();
      tj["top_1pct_request_share"] = t.groups.top_share(0.01);
    }
  }
  for (std::size_t c = 0; c < spec_.classes.size(); ++c) {
    const Counts s = class_sent(c);
    const Counts& r = class_at_reset_[c];
    Json& cj = j["classes"][spec_.classes[c].name];
    put_counts(cj, s.n - r.n, s.in - r.in, s.out - r.out);
    cj["model"] = spec_.classes[c].model;
  }
  Json tj = Json::object();
  put_counts(tj, n, in, out);
  tj["mode"] = trace_ != nullptr ? "trace" : "synthetic";
  if (trace_ != nullptr) {
    tj["trace"] = Json{{"file", spec_.trace->file}, {"records", trace_->size()},
                       {"blocks", trace_->blocks.size()}, {"loops", trace_loop_}};
  } else {
    // Poisson counts: the arrivals should lie within a few standard deviations of the rate's integral.
    const double expected = expected_arrivals();
    const double z = expected > 0 ? (static_cast<double>(n) - expected) / std::sqrt(expected) : 0.0;
    tj["expected_arrivals"] = expected;
    j["checks"]["traffic_rate"] = Json{{"arrived", n}, {"expected", expected}, {"z", z}, {"pass", std::fabs(z) <= 5.0}};
  }
  j["traffic"] = tj;

  const char* kinds[] = {"launch", "segment", "mix_shift", "signups"};
  for (const auto& e : spec_.events) {
    double end = e.at_s + e.over_s;
    if (e.kind == TrafficEvent::Kind::kLaunch) end = e.at_s + e.ramp_s + e.duration_s;
    j["incidents"].push_back(Json{{"start_s", e.at_s}, {"end_s", end}, {"label", e.label},
                                  {"kind", kinds[static_cast<int>(e.kind)]}});
  }
}

}  // namespace capsim

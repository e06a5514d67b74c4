#include "models/service_metrics.h"

#include <algorithm>

namespace capsim {

ServiceMetrics::ServiceMetrics(std::vector<std::string> tiers, std::vector<std::string> classes,
                               std::vector<std::string> models, std::vector<std::string> clusters)
    : names_{std::move(tiers), std::move(classes), std::move(models), std::move(clusters)} {
  std::size_t n = 1;
  std::size_t combinations = 1;  // saturates just past kMaxCombinations
  for (std::size_t d = 0; d < names_.size(); ++d) {
    offset_[d] = n;
    size_[d] = names_[d].size();
    n += size_[d];
    combinations = std::min(combinations * (size_[d] + 1), kMaxCombinations + 1);
  }
  if (combinations <= kMaxCombinations) {
    cell_of_.assign(combinations, 0);
  } else {
    groups_.resize(n);
  }
}

std::uint16_t ServiceMetrics::reason(std::string_view name) {
  if (run_ != nullptr) return run_->reason(name);
  for (std::size_t i = 0; i < reasons_.size(); ++i) {
    if (reasons_[i] == name) return static_cast<std::uint16_t>(i);
  }
  reasons_.emplace_back(name);
  for (auto& g : groups_) g.by_reason.resize(reasons_.size());
  for (auto& c : cells_) c.by_reason.resize(reasons_.size());
  step_.by_reason.resize(reasons_.size());
  return static_cast<std::uint16_t>(reasons_.size() - 1);
}

void ServiceMetrics::Group::merge(const Group& other) {
  arrived += other.arrived;
  completed += other.completed;
  rejected += other.rejected;
  input_tokens += other.input_tokens;
  output_tokens += other.output_tokens;
  for (std::size_t i = 0; i < by_reason.size(); ++i) by_reason[i] += other.by_reason[i];
  for (std::size_t w = 0; w < latency.size(); ++w) latency[w].merge(other.latency[w]);
}

void ServiceMetrics::Group::reset() {
  arrived = completed = rejected = input_tokens = output_tokens = 0;
  std::fill(by_reason.begin(), by_reason.end(), 0);
  for (auto& h : latency) h.reset();
}

ServiceMetrics::Group ServiceMetrics::empty_group() const {
  Group g;
  g.by_reason.assign(reasons_.size(), 0);
  return g;
}

template <class F>
void ServiceMetrics::for_groups(std::vector<Group>& groups, const Dimensions& idx, F&& f) const {
  f(groups[0]);
  for (std::size_t d = 0; d < idx.size(); ++d) {
    if (idx[d] < size_[d]) f(groups[offset_[d] + idx[d]]);
  }
}

std::size_t ServiceMetrics::combination(const Request& r, std::uint16_t cluster) const {
  const Dimensions idx{r.tier, r.cls, r.model, cluster};
  std::size_t c = 0;
  for (std::size_t d = 0; d < idx.size(); ++d) c = c * (size_[d] + 1) + std::min(idx[d], size_[d]);
  return c;
}

ServiceMetrics::Group* ServiceMetrics::cell(const Request& r, std::uint16_t cluster) {
  const std::size_t c = combination(r, cluster);
  const std::uint32_t id = cell_of_[c];
  return id != 0 ? &cells_[id - 1] : add_cell(c);
}

[[gnu::cold]] [[gnu::noinline]] ServiceMetrics::Group* ServiceMetrics::add_cell(std::size_t combination) {
  if (cells_.size() == kMaxCells) {
    // Too many cells for their memory: fold them into groups and record by group from now on.
    groups_ = fold_cells();
    cells_ = {};
    cell_of_ = {};
    return nullptr;
  }
  cells_.push_back(empty_group());
  cell_of_[combination] = static_cast<std::uint32_t>(cells_.size());
  return &cells_.back();
}

template <class F>
void ServiceMetrics::record(const Request& r, std::uint16_t cluster, F&& f) {
  if (recording_by_cell()) {
    if (Group* c = cell(r, cluster)) {
      f(*c);
      return;
    }
  }
  for_groups(groups_, {r.tier, r.cls, r.model, cluster}, f);
}

template <class F>
void ServiceMetrics::for_cells(F&& f) const {
  for (std::size_t c = 0; c < cell_of_.size(); ++c) {
    if (cell_of_[c] == 0) continue;
    // The combination index in mixed radix (size_[d] + 1), the cluster the fastest digit.
    Dimensions idx{};
    std::size_t rest = c;
    for (std::size_t d = idx.size(); d-- > 0;) {
      idx[d] = rest % (size_[d] + 1);
      rest /= size_[d] + 1;
    }
    f(idx, cells_[cell_of_[c] - 1]);
  }
}

std::vector<ServiceMetrics::Group> ServiceMetrics::fold_cells() const {
  std::vector<Group> groups(offset_.back() + size_.back(), empty_group());
  for_cells([&](const Dimensions& idx, const Group& cell) {
    for_groups(groups, idx, [&](Group& g) { g.merge(cell); });
  });
  return groups;
}

LogHistogram ServiceMetrics::latency(Latency which) const {
  if (!recording_by_cell()) return groups_[0].latency[which];
  LogHistogram h;
  for_cells([&](const Dimensions&, const Group& cell) { h.merge(cell.latency[which]); });
  return h;
}

void ServiceMetrics::set_network_latency(std::uint16_t cluster, double seconds) {
  if (cluster >= network_s_.size()) network_s_.resize(std::size_t{cluster} + 1, 0.0);
  network_s_[cluster] = seconds;
}

void ServiceMetrics::forward_to(ServiceMetrics* run, std::vector<Outcome>* log, std::function<SimTime()> now) {
  run_ = run;
  log_ = log;
  now_ = std::move(now);
}

void ServiceMetrics::replay(const Outcome& o) {
  switch (o.kind) {
    case Outcome::kArrived:
      arrived(o.request, o.cluster);
      break;
    case Outcome::kCompleted:
      completed(o.request, o.at, o.value, o.cluster);
      break;
    case Outcome::kRejected:
      rejected(o.request, o.reason, o.cluster);
      break;
    case Outcome::kQueueDepth:
      break;
  }
}

void ServiceMetrics::arrived(const Request& r, std::uint16_t cluster) {
  if (log_ != nullptr) {
    log_->push_back(Outcome{r, now_(), 0.0, cluster, 0, Outcome::kArrived});
    return;
  }
  ++totals_.arrived;
  record(r, cluster, [](Group& g) { ++g.arrived; });
}

void ServiceMetrics::completed(const Request& r, SimTime now, double queue_wait_s, std::uint16_t cluster) {
  if (log_ != nullptr) {
    log_->push_back(Outcome{r, now, queue_wait_s, cluster, 0, Outcome::kCompleted});
    for (auto* o : observers_) o->on_completed(r, now, cluster);
    return;
  }
  const double network = network_latency(cluster);
  const double ttft = (r.first_token - r.arrival).to_seconds() + network;
  const double e2e = (now - r.arrival).to_seconds() + network;
  const bool has_tpot = r.output_tokens > 1;
  const double tpot = has_tpot ? (now - r.first_token).to_seconds() / (r.output_tokens - 1) : 0.0;
  ++totals_.completed;
  record(r, cluster, [&](Group& g) {
    ++g.completed;
    g.input_tokens += r.input_tokens;
    g.output_tokens += r.output_tokens;
    g.latency[kQueueWait].add(queue_wait_s);
    g.latency[kTtft].add(ttft);
    if (has_tpot) g.latency[kTpot].add(tpot);
    g.latency[kE2e].add(e2e);
  });
  ++step_.completed;
  step_.ttft.add(ttft);
  step_.e2e.add(e2e);
  for (auto* o : observers_) o->on_completed(r, now, cluster);
}

void ServiceMetrics::rejected(const Request& r, std::uint16_t reason, std::uint16_t cluster) {
  if (log_ != nullptr) {
    log_->push_back(Outcome{r, now_(), 0.0, cluster, reason, Outcome::kRejected});
    for (auto* o : observers_) o->on_rejected(r, reason, cluster);
    return;
  }
  ++totals_.rejected;
  record(r, cluster, [&](Group& g) {
    ++g.rejected;
    ++g.by_reason[reason];
  });
  ++step_.rejected;
  ++step_.by_reason[reason];
  for (auto* o : observers_) o->on_rejected(r, reason, cluster);
}

std::vector<std::string> ServiceMetrics::sample_columns() {
  sampled_reasons_ = reasons_.size();
  std::vector<std::string> c{"completed", "rejected"};
  for (const auto& r : reasons_) c.push_back("rejected:" + r);
  c.emplace_back("ttft_p99");
  c.emplace_back("e2e_p99");
  return c;
}

void ServiceMetrics::sample(SimTime /*now*/, std::vector<double>& row) {
  row.push_back(static_cast<double>(step_.completed));
  row.push_back(static_cast<double>(step_.rejected));
  // A reason registered after the header (a fault's first) counts in `rejected` only.
  for (std::size_t i = 0; i < sampled_reasons_; ++i) row.push_back(static_cast<double>(step_.by_reason[i]));
  row.push_back(step_.ttft.quantile(0.99));
  row.push_back(step_.e2e.quantile(0.99));
  step_.completed = step_.rejected = 0;
  std::fill(step_.by_reason.begin(), step_.by_reason.end(), 0);
  step_.ttft.reset();
  step_.e2e.reset();
}

void ServiceMetrics::reset_stats() {
  totals_ = {};
  for (auto& g : groups_) g.reset();
  for (auto& c : cells_) c.reset();
}

void ServiceMetrics::write_group(const Group& g, Json& out) const {
  out["requests"] = Json{{"arrived", g.arrived}, {"completed", g.completed}, {"rejected", g.rejected}};
  out["rejection_rate"] = g.arrived > 0 ? static_cast<double>(g.rejected) / static_cast<double>(g.arrived) : 0.0;
  Json reasons = Json::object();
  for (std::size_t i = 0; i < reasons_.size(); ++i) reasons[reasons_[i]] = g.by_reason[i];
  out["rejections_by_reason"] = reasons;
  out["latency_s"] = Json{{"queue_wait", latency_json(g.latency[kQueueWait])},
                          {"ttft", latency_json(g.latency[kTtft])},
                          {"tpot", latency_json(g.latency[kTpot])},
                          {"e2e", latency_json(g.latency[kE2e])}};
  out["tokens"] = Json{{"input", g.input_tokens}, {"output", g.output_tokens}};
}

void ServiceMetrics::write_report(Json& j) const {
  if (recording_by_cell()) {
    write_groups(fold_cells(), j);
  } else {
    write_groups(groups_, j);
  }
}

void ServiceMetrics::write_groups(const std::vector<Group>& groups, Json& j) const {
  write_group(groups[0], j);
  static constexpr std::array<const char*, 4> kKeys{"tiers", "classes", "models", "clusters"};
  for (std::size_t d = 0; d < names_.size(); ++d) {
    for (std::size_t i = 0; i < names_[d].size(); ++i) write_group(groups[offset_[d] + i], j[kKeys[d]][names_[d][i]]);
  }
}

}  // namespace capsim

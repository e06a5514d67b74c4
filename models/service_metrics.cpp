#include "models/service_metrics.h"

namespace capsim {

ServiceMetrics::ServiceMetrics(std::vector<std::string> tiers, std::vector<std::string> classes,
                               std::vector<std::string> models, std::vector<std::string> clusters)
    : names_{std::move(tiers), std::move(classes), std::move(models), std::move(clusters)} {
  std::size_t n = 1;
  for (std::size_t d = 0; d < names_.size(); ++d) {
    offset_[d] = n;
    n += names_[d].size();
  }
  groups_.resize(n);
}

std::uint16_t ServiceMetrics::reason(std::string_view name) {
  for (std::size_t i = 0; i < reasons_.size(); ++i) {
    if (reasons_[i] == name) return static_cast<std::uint16_t>(i);
  }
  reasons_.emplace_back(name);
  for (auto& g : groups_) g.by_reason.resize(reasons_.size());
  step_.by_reason.resize(reasons_.size());
  return static_cast<std::uint16_t>(reasons_.size() - 1);
}

template <class F>
void ServiceMetrics::for_groups(const Request& r, std::uint16_t cluster, F&& f) {
  f(groups_[0]);
  const std::array<std::uint16_t, 4> idx{r.tier, r.cls, r.model, cluster};
  for (std::size_t d = 0; d < idx.size(); ++d) {
    if (idx[d] < names_[d].size()) f(groups_[offset_[d] + idx[d]]);
  }
}

void ServiceMetrics::set_network_latency(std::uint16_t cluster, double seconds) {
  if (cluster >= network_s_.size()) network_s_.resize(std::size_t{cluster} + 1, 0.0);
  network_s_[cluster] = seconds;
}

void ServiceMetrics::arrived(const Request& r, std::uint16_t cluster) {
  for_groups(r, cluster, [](Group& g) { ++g.arrived; });
}

void ServiceMetrics::completed(const Request& r, SimTime now, double queue_wait_s, std::uint16_t cluster) {
  const double network = network_latency(cluster);
  const double ttft = (r.first_token - r.arrival).to_seconds() + network;
  const double e2e = (now - r.arrival).to_seconds() + network;
  const bool has_tpot = r.output_tokens > 1;
  const double tpot = has_tpot ? (now - r.first_token).to_seconds() / (r.output_tokens - 1) : 0.0;
  for_groups(r, cluster, [&](Group& g) {
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
  for_groups(r, cluster, [&](Group& g) {
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
  for (auto& g : groups_) {
    g.arrived = g.completed = g.rejected = g.input_tokens = g.output_tokens = 0;
    std::fill(g.by_reason.begin(), g.by_reason.end(), 0);
    for (auto& h : g.latency) h.reset();
  }
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
  write_group(groups_[0], j);
  static constexpr std::array<const char*, 4> kKeys{"tiers", "classes", "models", "clusters"};
  for (std::size_t d = 0; d < names_.size(); ++d) {
    for (std::size_t i = 0; i < names_[d].size(); ++i) write_group(groups_[offset_[d] + i], j[kKeys[d]][names_[d][i]]);
  }
}

}  // namespace capsim

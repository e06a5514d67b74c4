#include "models/economics/cost_meter.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace capsim::economics {

namespace {
constexpr std::int64_t kHourNs = 3600LL * 1'000'000'000;

std::string ownership_name(Ownership o) {
  switch (o) {
    case Ownership::kOwned: return "owned";
    case Ownership::kOnDemand: return "on_demand";
    case Ownership::kReserved: return "reserved";
    case Ownership::kSpot: return "spot";
  }
  return "owned";
}

std::string change_name(CapacityChange::Kind k) {
  switch (k) {
    case CapacityChange::Kind::kDelivered: return "delivered";
    case CapacityChange::Kind::kRetired: return "retired";
    case CapacityChange::Kind::kRequested: return "requested";
    case CapacityChange::Kind::kProvisioned: return "provisioned";
    case CapacityChange::Kind::kReleased: return "released";
    case CapacityChange::Kind::kPreempted: return "preempted";
  }
  return "delivered";
}

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }
}  // namespace

CostTotals& CostTotals::operator+=(const CostTotals& o) {
  gpu_s += o.gpu_s;
  busy_gpu_s += o.busy_gpu_s;
  energy_kwh += o.energy_kwh;
  amortisation += o.amortisation;
  maintenance += o.maintenance;
  rent += o.rent;
  power += o.power;
  return *this;
}

CostMeter::CostMeter(const EconomicsSpec& spec, const TrafficSpec& traffic, const RateModel& rates,
                     std::vector<const UserGroups*> groups, units::DateTime start, Engine& engine,
                     std::vector<MeteredCluster> clusters)
    : spec_(spec),
      traffic_(traffic),
      rates_(rates),
      groups_(std::move(groups)),
      start_(start),
      engine_(engine),
      id_(engine.add_component(this)),
      clusters_(std::move(clusters)),
      refused_([&] {
        std::vector<bool> with_users;
        for (const auto& t : traffic.tiers) with_users.push_back(!t.by_rate);
        return with_users;
      }()) {
  terms_.assign(clusters_.size(), nullptr);
  for (const auto& t : spec_.clusters) terms_[static_cast<std::size_t>(t.cluster)] = &t;
  const auto& tf = spec_.power.tariff;
  tariff_varies_ = std::any_of(tf.begin(), tf.end(), [&](double v) { return v != tf.front(); });
  const std::size_t tiers = traffic_.tiers.size();
  for (std::size_t t = 0; t < tiers; ++t) {
    group_offset_.push_back(cells_per_cluster_);
    cells_per_cluster_ += groups_[t] != nullptr ? groups_[t]->size() : 1;
  }
  work_.assign(cells_per_cluster_ * clusters_.size(), 0.0);
  cluster_work_.assign(clusters_.size(), 0.0);
  for (auto* v : {&tokens_in_, &tokens_out_, &completed_, &rejected_in_, &rejected_out_, &users_s_}) v->assign(tiers, 0.0);
  busy_last_.assign(clusters_.size(), 0.0);
  acc_.assign(clusters_.size(), CostTotals{});
  at_sample_.assign(clusters_.size(), CostTotals{});
  users_at_start_.assign(tiers, 0.0);
}

void CostMeter::start() {
  if (!tariff_varies_) return;
  // The first tick at the next local hour boundary.
  const std::int64_t local_s = start_.unix_seconds + std::int64_t{start_.utc_offset_min} * 60;
  const std::int64_t into_hour_ns = (((local_s % 3600) + 3600) % 3600) * 1'000'000'000;
  engine_.schedule(SimTime::ns(into_hour_ns == 0 ? kHourNs : kHourNs - into_hour_ns), id_, 0, 0, Priority::kFirst);
}

void CostMeter::handle(const Event&) {
  flush(engine_.now());
  engine_.schedule_in(SimTime::ns(kHourNs), id_, 0, 0, Priority::kFirst);
}

double CostMeter::tariff_at(SimTime t) const {
  const std::int64_t local_s =
      start_.unix_seconds + std::int64_t{start_.utc_offset_min} * 60 + t.count_ns() / 1'000'000'000;
  const std::int64_t hour = ((local_s % 86400) + 86400) % 86400 / 3600;
  return spec_.power.tariff[static_cast<std::size_t>(hour)];
}

CostTotals CostMeter::step(std::size_t c, SimTime now) const {
  CostTotals d;
  const MeteredCluster& m = clusters_[c];
  const double dt = (now - last_).to_seconds();
  if (dt <= 0) return d;
  const double servers = static_cast<double>(m.capacity != nullptr ? m.capacity->servers() : m.servers);
  const double gpus = servers * m.gpus_per_server;
  d.gpu_s = gpus * dt;
  // Draining replicas of departed servers may still be busy: the power model counts present GPUs.
  d.busy_gpu_s = std::clamp(m.cluster->busy_gpu_seconds(now) - busy_last_[c], 0.0, d.gpu_s);
  const ClusterTerms* t = terms_[c];
  if (t == nullptr) return d;
  if (t->rented()) {
    d.rent = d.gpu_s / 3600.0 * t->rent_per_gpu_hour();
    return d;
  }
  d.amortisation = d.gpu_s * t->price_per_gpu / t->amortisation_s;
  d.maintenance = d.gpu_s * t->price_per_gpu * t->maintenance_share / kSecondsPerYear;
  // Each server draws idle + (peak - idle) x its busy share, or its peak when flat.
  const double kw_s = spec_.power.flat
                          ? servers * t->server_peak_kw * dt
                          : servers * t->server_idle_kw * dt +
                                (t->server_peak_kw - t->server_idle_kw) * d.busy_gpu_s / m.gpus_per_server;
  d.energy_kwh = kw_s / 3600.0 * spec_.power.pue;
  d.power = d.energy_kwh * tariff_at(last_);
  return d;
}

void CostMeter::flush(SimTime now) {
  if (now <= last_) return;
  for (std::size_t c = 0; c < clusters_.size(); ++c) {
    acc_[c] += step(c, now);
    busy_last_[c] = clusters_[c].cluster->busy_gpu_seconds(now);
  }
  const auto mid = 0.5 * (last_.to_seconds() + now.to_seconds());
  const double dt = (now - last_).to_seconds();
  for (std::size_t t = 0; t < users_s_.size(); ++t) {
    if (!traffic_.tiers[t].by_rate) users_s_[t] += rates_.users(t, mid) * dt;
  }
  last_ = now;
}

std::vector<double> CostMeter::users_integral(SimTime now) const {
  std::vector<double> u = users_s_;
  const double dt = (now - last_).to_seconds();
  const auto mid = 0.5 * (last_.to_seconds() + now.to_seconds());
  for (std::size_t t = 0; t < u.size(); ++t) {
    if (!traffic_.tiers[t].by_rate && dt > 0) u[t] += rates_.users(t, mid) * dt;
  }
  return u;
}

void CostMeter::on_completed(const Request& r, SimTime /*now*/, std::uint16_t cluster) {
  const double in = r.input_tokens, out = r.output_tokens;
  const double w = in * spec_.input_token_weight + out;
  const UserGroups* g = groups_[r.tier];
  const std::size_t cell = group_offset_[r.tier] + (g != nullptr ? g->group_of(r.user) : 0);
  work_[cluster * cells_per_cluster_ + cell] += w;
  cluster_work_[cluster] += w;
  tokens_in_[r.tier] += in;
  tokens_out_[r.tier] += out;
  completed_[r.tier] += 1;
}

void CostMeter::on_rejected(const Request& r, std::uint16_t /*reason*/, std::uint16_t /*cluster*/) {
  rejected_in_[r.tier] += r.input_tokens;
  rejected_out_[r.tier] += r.output_tokens;
  refused_.add(r.tier, r.user);
}

void CostMeter::reset_stats() {
  // The clusters restarted their busy-time integrals just before.
  const SimTime now = engine_.now();
  window_start_ = last_ = last_sample_ = now;
  std::fill(busy_last_.begin(), busy_last_.end(), 0.0);
  std::fill(acc_.begin(), acc_.end(), CostTotals{});
  std::fill(at_sample_.begin(), at_sample_.end(), CostTotals{});
  for (auto* v : {&work_, &cluster_work_, &tokens_in_, &tokens_out_, &completed_, &rejected_in_, &rejected_out_, &users_s_}) {
    std::fill(v->begin(), v->end(), 0.0);
  }
  for (std::size_t t = 0; t < users_at_start_.size(); ++t) {
    users_at_start_[t] = traffic_.tiers[t].by_rate ? 0.0 : rates_.users(t, now.to_seconds());
  }
  refused_.reset();
}

std::vector<std::string> CostMeter::sample_columns() const {
  std::vector<std::string> cols;
  for (const auto& m : clusters_) cols.push_back("capacity_gpus:" + m.name);
  for (const char* k : {"amortisation", "maintenance", "rent", "power"}) cols.push_back(std::string("cost:") + k);
  for (std::size_t t = 0; t < traffic_.tiers.size(); ++t) {
    if (refused_.with_users(t)) cols.push_back("users_refused:" + traffic_.tiers[t].name);
  }
  return cols;
}

void CostMeter::sample(SimTime now, std::vector<double>& row) {
  flush(now);
  const double span = (now - last_sample_).to_seconds();
  CostTotals d;
  for (std::size_t c = 0; c < clusters_.size(); ++c) {
    row.push_back(span > 0 ? (acc_[c].gpu_s - at_sample_[c].gpu_s) / span : 0.0);
    CostTotals x = acc_[c];
    d.amortisation += x.amortisation - at_sample_[c].amortisation;
    d.maintenance += x.maintenance - at_sample_[c].maintenance;
    d.rent += x.rent - at_sample_[c].rent;
    d.power += x.power - at_sample_[c].power;
    at_sample_[c] = x;
  }
  row.push_back(d.amortisation);
  row.push_back(d.maintenance);
  row.push_back(d.rent);
  row.push_back(d.power);
  refused_.take_new_users(row);
  last_sample_ = now;
}

CostTotals CostMeter::cluster_totals(std::size_t c, SimTime now) const {
  CostTotals t = acc_[c];
  if (now > last_) t += step(c, now);
  return t;
}

void CostMeter::write_report(Json& j) const {
  const SimTime now = engine_.now();
  const double window_s = (now - window_start_).to_seconds();
  CostTotals all;
  std::vector<double> cluster_cost;
  Json& cost = j["cost"];
  cost["currency"] = spec_.currency;
  for (std::size_t c = 0; c < clusters_.size(); ++c) {
    const CostTotals t = cluster_totals(c, now);
    all += t;
    cluster_cost.push_back(t.total());
    Json& k = cost["clusters"][clusters_[c].name];
    k["ownership"] = terms_[c] != nullptr ? ownership_name(terms_[c]->ownership) : "none";
    k["gpus_mean"] = ratio(t.gpu_s, window_s);
    k["gpu_hours"] = t.gpu_s / 3600;
    k["idle_gpu_hours"] = (t.gpu_s - t.busy_gpu_s) / 3600;
    k["utilisation"] = ratio(t.busy_gpu_s, t.gpu_s);
    k["energy_kwh"] = t.energy_kwh;
    k["amortisation"] = t.amortisation;
    k["maintenance"] = t.maintenance;
    k["rent"] = t.rent;
    k["power"] = t.power;
    k["total"] = t.total();
    if (clusters_[c].capacity != nullptr) {
      Json changes = Json::array();
      for (const auto& ch : clusters_[c].capacity->changes()) {
        Json entry{{"t_s", ch.t_s}, {"kind", change_name(ch.kind)}, {"servers", ch.servers}, {"present", ch.present}};
        const bool decided = ch.kind == CapacityChange::Kind::kRequested || ch.kind == CapacityChange::Kind::kReleased;
        if (decided && std::isfinite(ch.metric)) {  // a predicted TTFT with no replica is infinite
          entry["metric"] = ch.metric;
        }
        changes.push_back(std::move(entry));
      }
      k["capacity_changes"] = std::move(changes);
    }
  }
  const std::vector<double> users_s = users_integral(now);
  double acquisition = 0, users_mean = 0;
  for (std::size_t t = 0; t < users_s.size(); ++t) {
    if (traffic_.tiers[t].by_rate) continue;
    users_mean += ratio(users_s[t], window_s);
    const double gained = std::max(0.0, rates_.users(t, now.to_seconds()) - users_at_start_[t]);
    acquisition += gained * spec_.tiers[t].acquisition_per_user;
  }
  const double serving = all.total();
  const double requests = std::accumulate(completed_.begin(), completed_.end(), 0.0);
  const double tokens = std::accumulate(tokens_in_.begin(), tokens_in_.end(), 0.0) +
                        std::accumulate(tokens_out_.begin(), tokens_out_.end(), 0.0);
  const double months = window_s / kSecondsPerMonth;
  cost["total"] = serving + acquisition;
  cost["serving"] = serving;
  cost["by_component"] = Json{{"amortisation", all.amortisation}, {"maintenance", all.maintenance}, {"rent", all.rent},
                              {"power", all.power}, {"acquisition", acquisition}};
  cost["per_request"] = ratio(serving, requests);
  cost["per_1k_tokens"] = ratio(serving, tokens) * 1e3;
  cost["per_million_tokens"] = ratio(serving, tokens) * 1e6;
  cost["per_user_month"] = ratio(serving, users_mean * months);
  cost["energy_kwh"] = all.energy_kwh;
  cost["gpu_hours"] = all.gpu_s / 3600;
  cost["idle_gpu_hours"] = (all.gpu_s - all.busy_gpu_s) / 3600;
  // Idle cost: the capacity cost (amortisation, maintenance, rent) of the idle GPU-time.
  cost["idle_cost"] = all.capacity_cost() * ratio(all.gpu_s - all.busy_gpu_s, all.gpu_s);
  write_tiers(j, cluster_cost, window_s, now);
}

void CostMeter::write_tiers(Json& j, const std::vector<double>& cluster_cost, double window_s, SimTime now) const {
  const std::vector<double> users_s = users_integral(now);
  const double months = window_s / kSecondsPerMonth;
  double attributed = 0, unattributed = 0, revenue_sub = 0, revenue_api = 0, lost_api = 0, margin = 0;
  for (std::size_t c = 0; c < cluster_cost.size(); ++c) {
    if (cluster_work_[c] <= 0) unattributed += cluster_cost[c];
  }
  for (std::size_t t = 0; t < traffic_.tiers.size(); ++t) {
    const std::size_t groups = groups_[t] != nullptr ? groups_[t]->size() : 1;
    std::vector<double> group_cost(groups, 0.0);
    for (std::size_t c = 0; c < cluster_cost.size(); ++c) {
      if (cluster_work_[c] <= 0) continue;
      const double per_work = cluster_cost[c] / cluster_work_[c];
      for (std::size_t g = 0; g < groups; ++g) group_cost[g] += work_[c * cells_per_cluster_ + group_offset_[t] + g] * per_work;
    }
    const double tier_cost = std::accumulate(group_cost.begin(), group_cost.end(), 0.0);
    attributed += tier_cost;
    const TierRevenue& price = spec_.tiers[t];
    const bool users = !traffic_.tiers[t].by_rate;
    const double users_mean = users ? ratio(users_s[t], window_s) : 0.0;
    const double gained = users ? std::max(0.0, rates_.users(t, now.to_seconds()) - users_at_start_[t]) : 0.0;
    const double acquisition = gained * price.acquisition_per_user;
    const double sub = price.subscription_per_month * users_mean * months;
    const double api = (tokens_in_[t] * price.input_per_million + tokens_out_[t] * price.output_per_million) / 1e6;
    const double lost = (rejected_in_[t] * price.input_per_million + rejected_out_[t] * price.output_per_million) / 1e6;
    revenue_sub += sub;
    revenue_api += api;
    lost_api += lost;
    const double tokens = tokens_in_[t] + tokens_out_[t];
    Json& tc = j["tiers"][traffic_.tiers[t].name]["cost"];
    tc["serving"] = tier_cost;
    tc["acquisition"] = acquisition;
    tc["total"] = tier_cost + acquisition;
    tc["per_request"] = ratio(tier_cost, completed_[t]);
    tc["per_million_tokens"] = ratio(tier_cost, tokens) * 1e6;
    if (users) {
      tc["users_mean"] = users_mean;
      tc["new_users"] = gained;
      // Per-user serving cost a month: each intensity group's cost over its share of the users.
      const double user_months = users_mean * months;
      std::vector<std::pair<double, double>> per_user;  // (cost, share of users)
      for (std::size_t g = 0; g < groups; ++g) {
        const double mass = groups_[t]->mass(g);
        if (mass > 0) per_user.emplace_back(ratio(group_cost[g], mass * user_months), mass);
      }
      std::sort(per_user.begin(), per_user.end());
      auto quantile = [&](double p) {
        double cum = 0;
        for (const auto& [x, m] : per_user) {
          cum += m;
          if (cum >= p - 1e-12) return x;
        }
        return per_user.empty() ? 0.0 : per_user.back().first;
      };
      tc["per_user_month"] = Json{{"mean", ratio(tier_cost, user_months)},
                                  {"p50", quantile(0.5)},
                                  {"p99", quantile(0.99)},
                                  {"max", per_user.empty() ? 0.0 : per_user.back().first}};
    }
    Json& tr = j["tiers"][traffic_.tiers[t].name]["revenue"];
    tr["subscription"] = sub;
    tr["api"] = api;
    tr["total"] = sub + api;
    tr["lost_api"] = lost;
    const double m = sub + api - tier_cost - acquisition;
    margin += m;
    Json& tm = j["tiers"][traffic_.tiers[t].name]["margin"];
    tm["total"] = m;
    if (users) tm["per_user_month"] = ratio(m, users_mean * months);
  }
  j["revenue"] = Json{{"total", revenue_sub + revenue_api}, {"subscription", revenue_sub}, {"api", revenue_api},
                      {"lost_api", lost_api}, {"currency", spec_.currency}};
  j["margin"] = Json{{"total", margin}, {"share", ratio(margin, revenue_sub + revenue_api)}};
  const double serving = std::accumulate(cluster_cost.begin(), cluster_cost.end(), 0.0);
  j["cost"]["unattributed"] = unattributed;
  j["checks"]["cost_attribution"] =
      Json{{"serving", serving}, {"attributed", attributed}, {"unattributed", unattributed},
           {"pass", std::abs(attributed + unattributed - serving) <= 1e-9 * std::max(1.0, serving)}};
  write_refusals(j);
}

// Refused requests and users by tier and in total; users only for tiers with users.
void CostMeter::write_refusals(Json& j) const {
  std::uint64_t requests = 0, users = 0;
  RefusalCost all;
  for (std::size_t t = 0; t < traffic_.tiers.size(); ++t) {
    Json& r = j["tiers"][traffic_.tiers[t].name]["refusals"];
    r["requests"] = refused_.requests(t);
    requests += refused_.requests(t);
    if (!refused_.with_users(t)) continue;
    const RefusalCost c = refusal_cost(static_cast<double>(refused_.users(t)), spec_.tiers[t]);
    r["users"] = refused_.users(t);
    r["leave_probability"] = spec_.tiers[t].leave_probability;
    r["users_lost"] = c.users_lost;
    r["lost_subscription_per_month"] = c.lost_subscription_per_month;
    r["reacquisition_cost"] = c.reacquisition_cost;
    users += refused_.users(t);
    all.users_lost += c.users_lost;
    all.lost_subscription_per_month += c.lost_subscription_per_month;
    all.reacquisition_cost += c.reacquisition_cost;
  }
  j["refusals"] = Json{{"requests", requests},
                       {"users", users},
                       {"users_lost", all.users_lost},
                       {"lost_subscription_per_month", all.lost_subscription_per_month},
                       {"reacquisition_cost", all.reacquisition_cost},
                       {"currency", spec_.currency}};
}

}  // namespace capsim::economics

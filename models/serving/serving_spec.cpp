// Reading the `serving:` section into a ServingSpec.
#include "models/serving/serving_spec.h"

#include <algorithm>

#include <fmt/format.h>

namespace capsim::serving {

using scenario::Help;
using scenario::MapReader;
using scenario::Node;
using scenario::Range;

namespace {

const std::vector<std::string> kPolicies{"round_robin", "weighted", "least_outstanding", "power_of_two", "nearest_first"};

double when(MapReader& r, std::string_view key, Help help, const units::DateTime& start, std::optional<double> def) {
  const Node n = r.child(key, help, !def.has_value(), "date or duration");
  return read_when(n, start).value_or(def.value_or(0.0));
}

SloSpec read_slo(const Node& n) {
  SloSpec s;
  MapReader r(n, "latency targets");
  const Range nn = Range::non_negative(1e7);
  s.ttft_s = r.duration("ttft", {"time to first token, network included (0: none)", "s"}, nn, SimTime::zero()).to_seconds();
  s.tpot_s = r.duration("tpot", {"time per output token after the first (0: none)", "s"}, nn, SimTime::zero()).to_seconds();
  s.e2e_s = r.duration("e2e", {"end to end, network included (0: none)", "s"}, nn, SimTime::zero()).to_seconds();
  r.finish();
  return s;
}

std::vector<RateRule> read_rate_limits(const Node& n, const units::DateTime& start) {
  std::vector<RateRule> rules;
  if (!n.defined()) return rules;
  if (!n.is_list()) {
    n.error("expected a list of {limit, window, from}");
    return rules;
  }
  for (const Node& item : n.items()) {
    MapReader r(item, "a sliding-window rate limit");
    RateRule rule;
    rule.from_s = when(r, "from", {"when this limit takes over (date or duration from the start)"}, start, 0.0);
    rule.limit = static_cast<std::uint32_t>(r.count("limit", {"requests accepted per user per window"}, Range::at_least(1, 1e6)));
    rule.window_s = r.duration("window", {"length of the sliding window", "s"}, Range::positive(1e8)).to_seconds();
    r.finish();
    if (!rules.empty() && rule.from_s <= rules.back().from_s) {
      item.error("limits must be listed in order of `from`, each later than the one before");
    }
    rules.push_back(rule);
  }
  return rules;
}

void read_pause(const Node& n, const units::DateTime& start, TierRules& t) {
  MapReader r(n, "a sign-up pause for new users");
  const Node periods = r.child("periods", {"scheduled pauses: a list of {from, until}"}, false, "list");
  if (periods.defined()) {
    if (!periods.is_list()) periods.error("expected a list of {from, until}");
    for (const Node& item : periods.items()) {
      MapReader p(item, "a pause period");
      const std::size_t problems = item.problems_so_far();
      PausePeriod pp;
      pp.from_s = when(p, "from", {"start of the pause"}, start, std::nullopt);
      pp.until_s = when(p, "until", {"end of the pause"}, start, std::nullopt);
      p.finish();
      if (item.problems_so_far() == problems && pp.until_s <= pp.from_s) item.error("`until` must come after `from`");
      t.pauses.push_back(pp);
    }
  }
  const Node trig = r.child("when", {"a pause triggered by GPU utilisation"});
  if (trig.defined()) {
    MapReader w(trig, "a utilisation trigger");
    PauseTrigger pt;
    pt.above = w.number("utilization_above", {"pause when the GPUs' busy share stays above this"}, Range::unit_interval());
    pt.for_s = w.duration("for", {"for this long", "s"}, Range::non_negative(1e8)).to_seconds();
    pt.resume_below = w.number("resume_below", {"resume when it stays below this for as long"}, Range::unit_interval(), pt.above);
    pt.check_every_s = w.duration("check_every", {"how often utilisation is sampled", "s"}, Range::positive(1e6),
                                  SimTime::seconds(60))
                           .to_seconds();
    w.finish();
    if (pt.resume_below > pt.above) trig.error("`resume_below` must not exceed `utilization_above`");
    t.pause_trigger = pt;
  }
  r.finish();
}

TierRules read_tier(const Node& n, const units::DateTime& start) {
  TierRules t;
  MapReader r(n, "a tier's admission and user rules");
  const auto limit = r.count_or_unlimited("queue_limit", {"requests of this tier waiting per cluster and model"},
                                          Range::non_negative(1e12), std::nullopt);
  if (limit) t.queue_limit = static_cast<std::uint64_t>(*limit);
  t.priority = static_cast<int>(r.count("priority", {"strict priority: higher is served first"}, Range{-1000, 1000}, 0));
  t.weight = r.number("weight", {"weighted priority: relative share of dispatches"}, Range::positive(1e6), 1.0);
  const Node slo = r.child("slo", {"latency targets: ttft, tpot, e2e"});
  if (slo.defined()) t.slo = read_slo(slo);
  t.early_reject = r.flag("early_reject", {"refuse on arrival when the predicted TTFT exceeds slo.ttft"}, false);
  if (t.early_reject && t.slo.ttft_s <= 0) n.error("early_reject needs slo.ttft");
  t.rate_limits = read_rate_limits(r.child("rate_limits", {"sliding-window limits per user"}, false, "list"), start);
  t.daily_tokens = static_cast<std::uint64_t>(
      r.count("daily_tokens", {"tokens (input + output) per user per day; 0: no quota"}, Range::non_negative(1e15), 0));
  const Node pause = r.child("signup_pause", {"turn new users away: scheduled periods or a utilisation trigger"});
  if (pause.defined()) read_pause(pause, start, t);
  r.finish();
  return t;
}

int model_of(const std::vector<std::string>& models, const std::string& name) {
  const auto it = std::find(models.begin(), models.end(), name);
  return it == models.end() ? -1 : static_cast<int>(it - models.begin());
}

std::vector<int> clusters_serving(const inference::InferenceSpec& inf, const std::string& name) {
  std::vector<int> out;
  const int m = inf.model_index(name);
  for (std::size_t c = 0; c < inf.clusters.size(); ++c) {
    const auto& rs = inf.clusters[c].replicas;
    if (m >= 0 && std::any_of(rs.begin(), rs.end(), [&](const auto& g) { return g.model == m; })) {
      out.push_back(static_cast<int>(c));
    }
  }
  return out;
}

}  // namespace

std::string policy_name(RoutePolicy p) { return kPolicies[static_cast<std::size_t>(p)]; }

ServingSpec read_serving(const Node& node, const TrafficSpec& traffic, const inference::InferenceSpec& inf,
                         const units::DateTime& start) {
  ServingSpec s;
  s.tiers.resize(traffic.tiers.size());
  s.clusters.resize(inf.clusters.size());
  s.models = traffic.models;
  MapReader r(node, "the serving layer (router, admission, user rules)");
  const auto policy = r.choice("router", {"how the global router picks a cluster"}, kPolicies, "round_robin");
  s.policy = static_cast<RoutePolicy>(std::find(kPolicies.begin(), kPolicies.end(), policy) - kPolicies.begin());
  s.priority = r.choice("priority", {"between tiers in a cluster's admission queue"}, {"strict", "weighted"}, "strict") == "strict"
                   ? PriorityMode::kStrict
                   : PriorityMode::kWeighted;
  const auto cap = r.count_or_unlimited("max_outstanding_per_replica",
                                        {"requests a replica holds at once; more wait in the admission queue"},
                                        Range::at_least(1, 1e6), std::nullopt);
  if (cap) s.max_outstanding_per_replica = static_cast<std::uint32_t>(*cap);
  s.early_reject_margin = r.number("early_reject_margin", {"factor on the predicted TTFT before comparing with the SLO"},
                                   Range::positive(100), 1.2);

  const Node clusters = r.child("clusters", {"region, network latency and weight per cluster, by name"});
  if (clusters.defined()) {
    MapReader cr(clusters, "placement per cluster", {"cluster", "clusters[].name"});
    for (std::size_t c = 0; c < inf.clusters.size(); ++c) {
      const Node cn = cr.child(inf.clusters[c].name, {"a cluster's region, network latency and weight"});
      if (!cn.defined()) continue;
      MapReader pr(cn, "a cluster's placement");
      auto& p = s.clusters[c];
      p.region = pr.string("region", {"region name (reports)"}, "");
      p.latency_s = pr.duration("latency", {"network round trip to users", "s"}, Range::non_negative(60), SimTime::zero()).to_seconds();
      p.weight = pr.number("weight", {"share of requests under `router: weighted`"}, Range::non_negative(1e6), 1.0);
      pr.finish();
    }
    cr.finish();
  }
  for (auto& p : s.clusters) {
    if (p.region.empty()) p.region = "default";
  }

  const Node fallback = r.child("fallback", {"model -> smaller model served instead under overload"});
  s.fallback.assign(s.models.size(), -1);
  if (fallback.defined()) {
    MapReader fr(fallback, "a fallback model per model", {"model", "traffic.classes[].model"});
    const std::size_t n = traffic.models.size();
    for (std::size_t m = 0; m < n; ++m) {
      if (!fr.has(traffic.models[m])) continue;
      const auto target = fr.string(traffic.models[m], {"the model that serves this model's requests under overload"});
      if (target == traffic.models[m]) {
        fallback.error(fmt::format("model '{}' cannot be its own fallback", target));
        continue;
      }
      if (inf.model_index(target) < 0) {
        fallback.error(fmt::format("fallback model '{}' is not in the model catalog", target));
        continue;
      }
      int t = model_of(s.models, target);
      if (t < 0) {
        s.models.push_back(target);
        s.fallback.push_back(-1);
        t = static_cast<int>(s.models.size() - 1);
      }
      s.fallback[m] = t;
    }
    fr.finish();
  }
  for (const auto& name : s.models) {
    s.serving.push_back(clusters_serving(inf, name));
    if (s.serving.back().empty() && fallback.defined()) {
      fallback.error(fmt::format("fallback model '{}' is served by no cluster", name));
    }
  }

  const Node tiers = r.child("tiers", {"admission and user rules per tier, by name"});
  if (tiers.defined()) {
    MapReader tr(tiers, "rules per tier", {"tier", "traffic.tiers[].name"});
    for (std::size_t t = 0; t < traffic.tiers.size(); ++t) {
      const Node tn = tr.child(traffic.tiers[t].name, {"a tier's admission and user rules"});
      if (tn.defined()) s.tiers[t] = read_tier(tn, start);
      if (traffic.trace && s.tiers[t].has_user_rules()) {
        tn.error("user rules need users: a trace names none");
      }
    }
    tr.finish();
  }
  r.finish();
  return s;
}

}  // namespace capsim::serving

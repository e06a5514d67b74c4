#include "models/scenario.h"

#include <algorithm>
#include <fmt/format.h>

namespace capsim {

namespace {
// `faults:` and `clients:` act on GPU clusters (models/faults).
void read_fault_sections(scenario::MapReader& top, bool has_clusters, Scenario& s) {
  const auto faults = top.child("faults", {"failures, scheduled incidents, overload crashes, health checks (see docs/faults.md)"});
  const auto clients = top.child("clients", {"client timeouts, retries, budgets, breakers, users who give up (see docs/faults.md)"});
  if (!has_clusters) {
    if (faults.defined()) faults.error("`faults` needs GPU `clusters:`");
    if (clients.defined()) clients.error("`clients` needs GPU `clusters:`");
    return;
  }
  std::vector<std::string> names;
  for (const auto& c : s.inference.clusters) names.push_back(c.name);
  if (faults.defined()) s.faults = faults::read_faults(faults, names, s.base_dir, s.run.start);
  if (clients.defined()) s.clients = faults::read_clients(clients);
}

// `parallel: clusters` needs every request's cluster to be chosen without reading any cluster's
// state between the clusters' turns, and nothing a cluster does to reach another at once.
void read_parallel(scenario::MapReader& top, Scenario& s) {
  const std::string mode = top.choice(
      "parallel", {"`clusters`: each cluster on an engine of its own, run side by side on the threads (same results "
                   "as `none` but for the order of floating-point sums; see docs/performance.md)"},
      {"none", "clusters"}, "none");
  if (mode != "clusters") return;
  const auto node = top.child("parallel", {});
  if (!s.serving || s.inference.clusters.empty()) {
    node.error("`clusters` needs GPU `clusters:` fed by `traffic:`");
    return;
  }
  const auto& sv = *s.serving;
  if (sv.policy != serving::RoutePolicy::kRoundRobin && sv.policy != serving::RoutePolicy::kWeighted) {
    node.error("`clusters` needs serving.router round_robin or weighted (the other policies read every "
               "cluster's load for each request)");
  }
  if (std::any_of(sv.fallback.begin(), sv.fallback.end(), [](int f) { return f >= 0; })) {
    node.error("`clusters` does not allow fallback models (a refusal in one cluster sends the request to another)");
  }
  if (s.clients) node.error("`clusters` does not allow `clients:` (retries and next turns follow outcomes at once)");
  if (s.faults && s.faults->crash_above) {
    node.error("`clusters` does not allow faults.crash_above (an overloaded replica's crash is scheduled at once)");
  }
  s.parallel_clusters = true;
}

Scenario read(const scenario::Document& doc, scenario::DocSink* docs) {
  Scenario s;
  s.file = doc.file();
  s.base_dir = doc.base_dir();
  if (!doc.ok()) doc.check();
  if (docs != nullptr) const_cast<scenario::Document&>(doc).set_doc_sink(docs);
  scenario::MapReader top(doc.root(), "the scenario");
  s.run = scenario::read_run_spec(top);
  // Exactly one of `arrivals` and `traffic` says where requests come from.
  const bool has_arrivals = top.has("arrivals");
  const bool has_traffic = top.has("traffic");
  if (has_arrivals && has_traffic) {
    top.child("traffic", {}).error("give either `arrivals` or `traffic`, not both");
  }
  if (!has_arrivals && !has_traffic) {
    top.node().error("missing required key 'arrivals' or 'traffic' (where requests come from)");
  }
  const auto arrivals = top.child("arrivals", {"open arrival process feeding the pool (or use `traffic`)"});
  if (arrivals.defined()) s.arrivals = read_arrivals(arrivals, s.base_dir);
  const auto traffic = top.child("traffic", {"user populations, tiers, classes and events, or a trace (see docs/traffic.md)"});
  if (traffic.defined()) s.traffic = read_traffic(traffic, s.base_dir, s.run.start);
  // Exactly one of `pool` and `clusters` serves the requests.
  const bool has_pool = top.has("pool");
  const bool has_clusters = top.has("clusters");
  if (has_pool && has_clusters) top.child("clusters", {}, false, "list").error("give either `pool` or `clusters`, not both");
  if (!has_pool && !has_clusters) {
    top.node().error("missing required key 'pool' or 'clusters' (what serves the requests)");
  }
  const auto pool = top.child("pool", {"a plain service pool (or use `clusters`)"});
  if (pool.defined()) {
    std::vector<std::string> tiers;
    if (s.traffic) {
      for (const auto& t : s.traffic->tiers) tiers.push_back(t.name);
    }
    s.pool = read_pool(pool, s.base_dir, tiers);
  }
  s.inference = inference::read_inference(top, s.base_dir);
  if (has_clusters && doc.ok()) {
    if (s.inference.clusters.empty()) {
      top.child("clusters", {}, false, "list").error("expected a list of at least one cluster");
    } else if (!s.traffic) {
      top.child("clusters", {}, false, "list")
          .error("GPU clusters need `traffic:` (request classes with token lengths and a model), not `arrivals:`");
    } else {
      // Every model the traffic asks for must be served by some cluster.
      for (const auto& name : s.traffic->models) {
        const int m = s.inference.model_index(name);
        bool served_somewhere = false;
        for (const auto& c : s.inference.clusters) {
          for (const auto& g : c.replicas) served_somewhere = served_somewhere || (m >= 0 && g.model == m);
        }
        if (!served_somewhere) {
          std::string served;
          for (const auto& c : s.inference.clusters) {
            for (const auto& g : c.replicas) {
              const auto& n = s.inference.models[static_cast<std::size_t>(g.model)].name;
              if (served.find(n) == std::string::npos) served += (served.empty() ? "" : ", ") + n;
            }
          }
          top.child("traffic", {}).error(fmt::format("model '{}' is served by no cluster (clusters serve: {})",
                                                     name.empty() ? "(none given)" : name, served));
        }
      }
    }
  }
  const auto serving = top.child("serving", {"global router, admission, priorities and user rules (see docs/serving.md)"});
  if (serving.defined() && !has_clusters) serving.error("`serving` needs GPU `clusters:`");
  if (has_clusters && s.traffic && doc.ok()) {
    s.serving = serving::read_serving(serving, *s.traffic, s.inference, s.run.start);
  }
  const auto econ = top.child("economics", {"prices, power, rent or own, procurement, autoscaling, revenue (see docs/economics.md)"});
  if (econ.defined()) {
    if (!has_clusters || !s.traffic) {
      econ.error("economics needs GPU `clusters:` fed by `traffic:`");
    } else if (doc.ok()) {
      s.economics = economics::read_economics(econ, s.inference, *s.traffic, *s.serving, s.run.start);
    }
  }
  read_fault_sections(top, has_clusters, s);
  read_parallel(top, s);
  top.finish();
  doc.check();
  return s;
}
}  // namespace

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides,
                       scenario::DocSink* docs) {
  return read(scenario::Document::load(path, overrides), docs);
}

Scenario parse_scenario(const std::string& text, const std::string& name,
                        const std::vector<std::string>& overrides) {
  return read(scenario::Document::parse(text, name, overrides), nullptr);
}

}  // namespace capsim

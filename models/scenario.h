#pragma once
// A whole scenario, read and validated: the run options (sim/scenario/run_spec.h) plus the
// model sections. This is the only place that knows which top-level keys exist.
#include <optional>
#include <string>
#include <vector>

#include "models/economics/economics_spec.h"
#include "models/faults/client_spec.h"
#include "models/faults/fault_spec.h"
#include "models/inference/inference_spec.h"
#include "models/pool/pool_spec.h"
#include "models/serving/serving_spec.h"
#include "models/traffic/traffic_spec.h"
#include "sim/scenario/node.h"
#include "sim/scenario/run_spec.h"

namespace capsim {

struct Scenario {
  scenario::RunSpec run;
  std::string file;
  std::string base_dir;
  ArrivalSpec arrivals;                ///< used when there is no `traffic:` section
  std::optional<TrafficSpec> traffic;  ///< users, tiers and classes, or a trace (instead of `arrivals:`)
  std::optional<PoolSpec> pool;  ///< a plain service pool serves the requests, or
  inference::InferenceSpec inference;  ///< GPU clusters do (`clusters:`), with the catalogs
  /// Prices, power, ownership and capacity over time of the clusters, revenue of the tiers.
  std::optional<economics::EconomicsSpec> economics;
  /// Routing, admission and user rules in front of the clusters (`serving:`; defaults without it).
  std::optional<serving::ServingSpec> serving;
  std::optional<faults::FaultSpec> faults;    ///< failures, incidents, crashes (`faults:`)
  std::optional<faults::ClientSpec> clients;  ///< timeouts, retries, users who give up (`clients:`)
  /// `parallel: clusters`: each cluster runs on an engine of its own, the clusters side by side
  /// on the run's threads (docs/performance.md, "Partitioned runs").
  bool parallel_clusters = false;
};

/// Loads and validates a scenario file with --set overrides; throws scenario::ScenarioError
/// listing every problem. `docs`, when given, receives every key read.
Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides = {},
                       scenario::DocSink* docs = nullptr);

/// Same, from YAML text (tests); `name` stands for the file in messages.
Scenario parse_scenario(const std::string& text, const std::string& name,
                        const std::vector<std::string>& overrides = {});

}  // namespace capsim

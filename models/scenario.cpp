#include "models/scenario.h"

namespace capsim {

namespace {
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
  const auto pool = top.child("pool", {"a plain service pool"}, true);
  if (pool.defined()) s.pool = read_pool(pool, s.base_dir);
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

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
  const auto arrivals = top.child("arrivals", {"open arrival process feeding the pool"}, true);
  if (arrivals.defined()) s.arrivals = read_arrivals(arrivals, s.base_dir);
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

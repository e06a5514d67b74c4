#include "models/reference.h"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <map>

#include "models/scenario.h"

namespace capsim {

namespace {

class Collector final : public scenario::DocSink {
 public:
  void key(const scenario::KeyDoc& d) override {
    auto [it, inserted] = keys_.emplace(d.path, d);
    if (!inserted && it->second.help.empty()) it->second = d;
  }
  [[nodiscard]] const std::map<std::string, scenario::KeyDoc>& keys() const { return keys_; }

 private:
  std::map<std::string, scenario::KeyDoc> keys_;
};

std::string cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> find_scenarios(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); !ec && it != std::filesystem::end(it);
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".yaml") out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string scenario_reference_markdown(const std::vector<std::string>& scenario_files) {
  Collector c;
  for (const auto& f : scenario_files) {
    try {
      (void)load_scenario(f, {}, &c);
    } catch (const std::exception&) {
      // A scenario that does not load (e.g. a trace missing on this machine) still
      // contributed the keys read before the problem; the rest come from other scenarios.
    }
  }
  std::string md =
      "# Scenario reference\n\n"
      "Every key capsim reads, generated from the code that validates scenarios (`capsim reference`),\n"
      "so this page cannot drift from what is accepted. `[]` stands for any list item, and a name in\n"
      "angle brackets (`<cluster>`, `<tier>`, `<class>`, `<model>`) for any key of a mapping keyed by\n"
      "names the scenario chose. Keys are gathered from the bundled scenarios; the forms of\n"
      "distributions are in [distributions.md](distributions.md). A blank default means the key is\n"
      "required when its section is present.\n";
  // Top-level scalars first, then one table per top-level section.
  std::map<std::string, std::vector<const scenario::KeyDoc*>> sections;
  for (const auto& [path, d] : c.keys()) {
    const auto dot = path.find_first_of(".[");
    sections[dot == std::string::npos ? std::string() : path.substr(0, dot)].push_back(&d);
  }
  for (const auto& [sec, docs] : sections) {
    md += fmt::format("\n## {}\n\n| key | type | unit | default | allowed | meaning |\n|---|---|---|---|---|---|\n",
                      sec.empty() ? std::string("Top level") : "`" + sec + "`");
    for (const auto* d : docs) {
      md += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", cell(d->path), cell(d->type), cell(d->unit),
                        cell(d->default_value), cell(d->allowed), cell(d->help));
    }
  }
  return md;
}

}  // namespace capsim

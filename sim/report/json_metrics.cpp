#include "sim/report/json_metrics.h"

namespace capsim {

namespace {
void collect(const Json& j, const std::string& path, std::vector<NamedValue>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) collect(v, path.empty() ? k : path + "." + k, out);
  } else if (j.is_boolean()) {
    out.emplace_back(path, j.get<bool>() ? 1.0 : 0.0);
  } else if (j.is_number()) {
    out.emplace_back(path, j.get<double>());
  }
}
}  // namespace

std::vector<NamedValue> numeric_leaves(const Json& j, const std::string& prefix) {
  std::vector<NamedValue> out;
  collect(j, prefix, out);
  return out;
}

std::optional<double> number_at(const Json& j, std::string_view dotted) {
  const Json* cur = &j;
  std::size_t pos = 0;
  while (pos <= dotted.size()) {
    const std::size_t dot = dotted.find('.', pos);
    const std::string key(dotted.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos));
    if (!cur->is_object()) return std::nullopt;
    const auto it = cur->find(key);
    if (it == cur->end()) return std::nullopt;
    cur = &*it;
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  if (cur->is_boolean()) return cur->get<bool>() ? 1.0 : 0.0;
  if (cur->is_number()) return cur->get<double>();
  return std::nullopt;
}

void set_number_at(Json& j, std::string_view dotted, double v) {
  Json* cur = &j;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t dot = dotted.find('.', pos);
    const std::string key(dotted.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos));
    if (!cur->is_object()) *cur = Json::object();
    if (dot == std::string_view::npos) {
      (*cur)[key] = v;
      return;
    }
    cur = &(*cur)[key];
    pos = dot + 1;
  }
}

}  // namespace capsim

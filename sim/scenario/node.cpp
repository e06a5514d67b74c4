#include "sim/scenario/node.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <tuple>

namespace capsim::scenario {

// ---------------------------------------------------------------------------------------------
// Context: the file, its problems, the --set overrides and the optional documentation sink.

class Context {
 public:
  std::string file;
  std::vector<Problem> problems;
  std::vector<std::pair<std::string, std::string>> overrides;  // (path, full "--set" text)
  DocSink* docs = nullptr;
  YAML::Node root;

  Location locate(const std::string& path, const YAML::Mark& mark) const {
    for (const auto& [opath, text] : overrides) {
      if (path == opath || path.starts_with(opath + ".") || path.starts_with(opath + "[")) {
        return Location{"--set " + text, 0, 0};
      }
    }
    if (mark.line < 0) return Location{file, 0, 0};
    return Location{file, mark.line + 1, mark.column + 1};
  }
  void add(Location where, std::string path, std::string message) {
    problems.push_back(Problem{std::move(where), std::move(path), std::move(message)});
  }
};

struct Node::Impl {
  std::shared_ptr<Context> ctx;
  YAML::Node yaml;  // invalid (not defined) when the key was absent
  std::string path;
  YAML::Mark parent_mark;  // where to point when the node itself is absent
  std::string doc_path;    // the path as the reference lists it: [] for indices, <name> for names
};

namespace {

const std::string kEmpty;

Node make_node(std::shared_ptr<Context> ctx, YAML::Node y, std::string path, YAML::Mark parent, std::string doc_path) {
  return Node(std::make_shared<const Node::Impl>(
      Node::Impl{std::move(ctx), std::move(y), std::move(path), parent, std::move(doc_path)}));
}

std::string join_path(const std::string& base, std::string_view key) {
  if (base.empty()) return std::string(key);
  return base + "." + std::string(key);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool is_non_finite_text(const std::string& t) {
  const auto l = lower(t);
  return l == ".nan" || l == "nan" || l == ".inf" || l == "+.inf" || l == "-.inf" || l == "inf" ||
         l == "-inf" || l == "+inf" || l == "infinity" || l == "-infinity";
}

std::string fmt_num(double v) { return fmt::format("{:g}", v); }

}  // namespace

std::string Location::str() const {
  if (line <= 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

std::string Problem::str() const {
  if (path.empty()) return fmt::format("{}: {}", where.str(), message);
  return fmt::format("{}: {}: {}", where.str(), path, message);
}

namespace {
std::string join_problems(const std::vector<Problem>& ps) {
  std::string s;
  for (const auto& p : ps) {
    if (!s.empty()) s += "\n";
    s += p.str();
  }
  return s;
}
}  // namespace

ScenarioError::ScenarioError(std::vector<Problem> problems)
    : std::runtime_error(join_problems(problems)), problems_(std::move(problems)) {}

ScenarioError::ScenarioError(Location where, std::string path, std::string message)
    : ScenarioError(std::vector<Problem>{Problem{std::move(where), std::move(path), std::move(message)}}) {}

// ---------------------------------------------------------------------------------------------
// Node

Node::Node() = default;
Node::Node(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

bool Node::defined() const { return impl_ && impl_->yaml.IsDefined(); }
bool Node::is_null() const { return !defined() || impl_->yaml.IsNull(); }
bool Node::is_map() const { return defined() && impl_->yaml.IsMap(); }
bool Node::is_list() const { return defined() && impl_->yaml.IsSequence(); }
bool Node::is_scalar() const { return defined() && impl_->yaml.IsScalar(); }
const std::string& Node::path() const { return impl_ ? impl_->path : kEmpty; }
Context& Node::context() const { return *impl_->ctx; }
std::size_t Node::problems_so_far() const { return impl_ ? impl_->ctx->problems.size() : 0; }

Location Node::location() const {
  if (!impl_) return {};
  const YAML::Mark m = defined() ? impl_->yaml.Mark() : impl_->parent_mark;
  return impl_->ctx->locate(impl_->path, m);
}

std::string Node::text() const { return is_scalar() ? impl_->yaml.Scalar() : std::string(); }

std::vector<Node> Node::items() const {
  std::vector<Node> out;
  if (!is_list()) return out;
  std::size_t i = 0;
  for (const auto& item : impl_->yaml) {
    out.push_back(make_node(impl_->ctx, item, fmt::format("{}[{}]", impl_->path, i++), impl_->yaml.Mark(),
                            impl_->doc_path + "[]"));
  }
  return out;
}

void Node::error(const std::string& message) const {
  if (impl_) impl_->ctx->add(location(), impl_->path, message);
}

std::optional<double> Node::as_number() const {
  if (!is_scalar()) {
    error("expected a number");
    return std::nullopt;
  }
  const auto t = text();
  if (is_non_finite_text(t)) {
    error("must be a finite number (NaN and infinity are not allowed)");
    return std::nullopt;
  }
  const auto p = units::parse_number(t);
  if (!p.ok()) {
    error(fmt::format("'{}' is {}", t, p.error()));
    return std::nullopt;
  }
  return p.value();
}

std::optional<SimTime> Node::as_duration() const {
  if (!is_scalar()) {
    error("expected a duration (e.g. 250ms, 30s, 5m, 2h, 7d)");
    return std::nullopt;
  }
  const auto t = text();
  if (is_non_finite_text(t)) {
    error("must be a finite duration (NaN and infinity are not allowed)");
    return std::nullopt;
  }
  const auto p = units::parse_duration(t);
  if (!p.ok()) {
    error(fmt::format("'{}': {}", t, p.error()));
    return std::nullopt;
  }
  return p.value();
}

std::optional<double> Node::as_seconds() const {
  if (!is_scalar()) {
    error("expected a duration (e.g. 250ms, 30s, 5m, 2h, 7d)");
    return std::nullopt;
  }
  const auto d = as_duration();
  if (!d) return std::nullopt;
  return d->to_seconds();
}

std::optional<double> Node::as_rate() const {
  if (!is_scalar()) {
    error("expected a rate (e.g. 8/s, 500/min, 1.2M/day)");
    return std::nullopt;
  }
  const auto t = text();
  const auto p = units::parse_rate(t);
  if (!p.ok()) {
    error(fmt::format("'{}': {}", t, p.error()));
    return std::nullopt;
  }
  if (!std::isfinite(p.value())) {
    error("must be a finite rate");
    return std::nullopt;
  }
  return p.value();
}

std::optional<bool> Node::as_bool() const {
  if (is_scalar()) {
    const auto t = lower(text());
    if (t == "true" || t == "yes" || t == "on") return true;
    if (t == "false" || t == "no" || t == "off") return false;
  }
  error(fmt::format("expected true or false{}", is_scalar() ? fmt::format(" (got '{}')", text()) : ""));
  return std::nullopt;
}

std::optional<std::string> Node::as_string() const {
  if (!is_scalar()) {
    error("expected a string");
    return std::nullopt;
  }
  return text();
}

std::optional<units::DateTime> Node::as_datetime() const {
  if (!is_scalar()) {
    error("expected a date (e.g. 2024-03-18 or 2024-03-18T20:00:00+08:00)");
    return std::nullopt;
  }
  const auto p = units::parse_datetime(text(), 0);
  if (!p.ok()) {
    error(fmt::format("'{}': {}", text(), p.error()));
    return std::nullopt;
  }
  return p.value();
}

// ---------------------------------------------------------------------------------------------
// MapReader

std::string range_problem(double v, const Range& r) {
  if (r.min_exclusive ? !(v > r.min) : !(v >= r.min)) {
    if (r.min_exclusive && r.min == 0) return fmt::format("must be greater than 0 (got {})", fmt_num(v));
    return fmt::format("must be at least {} (got {})", fmt_num(r.min), fmt_num(v));
  }
  if (!(v <= r.max)) return fmt::format("must be at most {} (got {})", fmt_num(r.max), fmt_num(v));
  return {};
}

namespace {
std::string range_text(const Range& r) {
  const bool lo = std::isfinite(r.min);
  const bool hi = std::isfinite(r.max);
  if (lo && hi) return fmt::format("{}{}..{}", r.min_exclusive ? ">" : "", fmt_num(r.min), fmt_num(r.max));
  if (lo) return fmt::format("{} {}", r.min_exclusive ? ">" : ">=", fmt_num(r.min));
  if (hi) return fmt::format("<= {}", fmt_num(r.max));
  return {};
}

// Edit distance where swapping two neighbouring letters counts as one edit (optimal string
// alignment), so "mena" is one edit from "mean".
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t w = b.size() + 1;
  std::vector<std::size_t> d((a.size() + 1) * w);
  for (std::size_t i = 0; i <= a.size(); ++i) d[i * w] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      std::size_t v = std::min({d[(i - 1) * w + j] + 1, d[i * w + j - 1] + 1, d[(i - 1) * w + j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) v = std::min(v, d[(i - 2) * w + j - 2] + 1);
      d[i * w + j] = v;
    }
  }
  return d[a.size() * w + b.size()];
}
}  // namespace

std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_d = 0;
  const auto lw = lower(std::string(word));
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(lw, lower(c));
    const std::size_t limit = std::max<std::size_t>(1, std::min<std::size_t>(3, c.size() / 3));
    if (d <= limit && (!best || d < best_d)) {
      best = c;
      best_d = d;
    }
  }
  return best;
}

MapReader::MapReader(const Node& node, std::string_view what, NamedKeys names) : MapReader(node, what) {
  placeholder_ = fmt::format("<{}>", names.placeholder);
  names_from_ = names.names_from;
}

MapReader::MapReader(const Node& node, std::string_view what) : node_(node), what_(what) {
  if (node_.defined() && !node_.is_null() && !node_.is_map()) {
    node_.error(fmt::format("expected a mapping ({})", what_));
    finished_ = true;  // nothing to check
    node_ = Node();
  }
}

MapReader::~MapReader() {
  if (!finished_) finish();
}

bool MapReader::has(std::string_view key) const {
  if (!node_.is_map()) return false;
  return node_.impl()->yaml[std::string(key)].IsDefined();
}

KeyDoc MapReader::doc(std::string_view key, std::string_view type, Help help, std::string def,
                      std::string allowed) const {
  // Lists and name-keyed mappings are documented once, whatever their entries are called.
  const std::string base = node_.impl() ? node_.impl()->doc_path : std::string();
  if (placeholder_.empty()) {
    return KeyDoc{join_path(base, key), std::string(type), std::string(help.unit), std::move(def), std::move(allowed),
                  std::string(help.text)};
  }
  return KeyDoc{join_path(base, placeholder_), std::string(type), std::string(help.unit), std::move(def),
                std::move(allowed), fmt::format("{}; `{}` is a name from `{}`", help.text, placeholder_, names_from_)};
}

Node MapReader::fetch(std::string_view key, const KeyDoc& d, bool required) {
  known_.emplace_back(key);
  if (!node_.impl()) return Node();
  auto& ctx = node_.context();
  if (ctx.docs != nullptr) ctx.docs->key(d);
  const std::string path = join_path(node_.path(), key);
  // Copy-construct: assigning a missing (zombie) node to a YAML::Node throws.
  const YAML::Node& parent = node_.impl()->yaml;
  const YAML::Node y = node_.is_map() ? YAML::Node(parent[std::string(key)]) : YAML::Node(YAML::NodeType::Undefined);
  const YAML::Mark parent_mark = node_.defined() ? node_.impl()->yaml.Mark() : node_.impl()->parent_mark;
  Node n = make_node(node_.impl()->ctx, y, path, parent_mark, d.path);
  if (required && !n.defined()) {
    const Location where = ctx.locate(node_.path(), parent_mark);
    missing_.emplace_back(std::string(key), ctx.problems.size());
    ctx.add(where, path, fmt::format("missing required key '{}'{}", key,
                                     d.help.empty() ? "" : fmt::format(" ({})", d.help)));
  }
  return n;
}

Node MapReader::child(std::string_view key, Help help, bool required, std::string_view type) {
  return fetch(key, doc(key, type, help, required ? "" : "(none)"), required);
}

namespace {
template <class T, class F>
T read_checked(const Node& n, std::optional<T> def, F&& convert, T fallback) {
  if (!n.defined()) return def.value_or(fallback);
  if (n.is_null()) {
    n.error("has no value");
    return def.value_or(fallback);
  }
  auto v = convert(n);
  return v ? *v : def.value_or(fallback);
}

void check_range(const Node& n, double v, const Range& r) {
  const auto p = range_problem(v, r);
  if (!p.empty()) n.error(p);
}
}  // namespace

double MapReader::number(std::string_view key, Help help, Range range, std::optional<double> def) {
  const Node n = fetch(key, doc(key, "number", help, def ? fmt_num(*def) : "", range_text(range)), !def);
  return read_checked<double>(n, def, [&](const Node& x) -> std::optional<double> {
    auto v = x.as_number();
    if (v) check_range(x, *v, range);
    return v;
  }, 0.0);
}

std::int64_t MapReader::count(std::string_view key, Help help, Range range, std::optional<std::int64_t> def) {
  const Node n = fetch(key, doc(key, "count", help, def ? std::to_string(*def) : "", range_text(range)), !def);
  return read_checked<std::int64_t>(n, def, [&](const Node& x) -> std::optional<std::int64_t> {
    auto v = x.as_number();
    if (!v) return std::nullopt;
    if (*v != std::floor(*v)) {
      x.error(fmt::format("must be a whole number (got {})", x.text()));
      return std::nullopt;
    }
    if (std::fabs(*v) > 9.0e15) {
      x.error(fmt::format("too large to simulate (got {})", x.text()));
      return std::nullopt;
    }
    check_range(x, *v, range);
    return static_cast<std::int64_t>(*v);
  }, 0);
}

SimTime MapReader::duration(std::string_view key, Help help, Range range_s, std::optional<SimTime> def) {
  const Node n = fetch(key, doc(key, "duration", help, def ? units::format_duration(*def) : "",
                               range_text(range_s)), !def);
  return read_checked<SimTime>(n, def, [&](const Node& x) -> std::optional<SimTime> {
    auto v = x.as_duration();
    if (v) check_range(x, v->to_seconds(), range_s);
    return v;
  }, SimTime::zero());
}

double MapReader::rate(std::string_view key, Help help, Range range, std::optional<double> def) {
  const Node n = fetch(key, doc(key, "rate", help, def ? fmt::format("{}/s", fmt_num(*def)) : "",
                               range_text(range)), !def);
  return read_checked<double>(n, def, [&](const Node& x) -> std::optional<double> {
    auto v = x.as_rate();
    if (v) check_range(x, *v, range);
    return v;
  }, 0.0);
}

bool MapReader::flag(std::string_view key, Help help, std::optional<bool> def) {
  const Node n = fetch(key, doc(key, "bool", help, def ? (*def ? "true" : "false") : ""), !def);
  return read_checked<bool>(n, def, [](const Node& x) { return x.as_bool(); }, false);
}

std::string MapReader::string(std::string_view key, Help help, std::optional<std::string> def) {
  const Node n = fetch(key, doc(key, "string", help, def ? *def : ""), !def);
  return read_checked<std::string>(n, def, [](const Node& x) -> std::optional<std::string> {
    auto s = x.as_string();
    if (s && s->empty()) {
      x.error("must not be empty");
      return std::nullopt;
    }
    return s;
  }, std::string());
}

std::string MapReader::choice(std::string_view key, Help help, const std::vector<std::string>& allowed,
                              std::optional<std::string> def) {
  std::string all;
  for (const auto& a : allowed) all += (all.empty() ? "" : ", ") + a;
  const Node n = fetch(key, doc(key, "choice", help, def ? *def : "", all), !def);
  return read_checked<std::string>(n, def, [&](const Node& x) -> std::optional<std::string> {
    auto s = x.as_string();
    if (!s) return std::nullopt;
    if (std::find(allowed.begin(), allowed.end(), *s) != allowed.end()) return s;
    const auto near = did_you_mean(*s, allowed);
    x.error(fmt::format("'{}' is not allowed{} (allowed: {})", *s,
                        near ? fmt::format("; did you mean '{}'?", *near) : "", all));
    return std::nullopt;
  }, allowed.empty() ? std::string() : allowed.front());
}

units::DateTime MapReader::datetime(std::string_view key, Help help, std::optional<units::DateTime> def) {
  const Node n = fetch(key, doc(key, "date", help, def ? "(set)" : ""), !def);
  return read_checked<units::DateTime>(n, def, [](const Node& x) { return x.as_datetime(); }, units::DateTime{});
}

std::optional<std::int64_t> MapReader::count_or_unlimited(std::string_view key, Help help, Range range,
                                                           std::optional<std::int64_t> def) {
  const Node n = fetch(key, doc(key, "count or unlimited", help, def ? std::to_string(*def) : "unlimited",
                               range_text(range)), false);
  if (!n.defined()) return def;
  if (n.is_scalar() && lower(n.text()) == "unlimited") return std::nullopt;
  auto v = n.as_number();
  if (!v) return def;
  if (*v != std::floor(*v)) {
    n.error(fmt::format("must be a whole number or 'unlimited' (got {})", n.text()));
    return def;
  }
  check_range(n, *v, range);
  return static_cast<std::int64_t>(std::clamp(*v, -9.0e15, 9.0e15));
}

void MapReader::known(std::string_view key) { known_.emplace_back(key); }

void MapReader::finish() {
  finished_ = true;
  if (!node_.is_map()) return;
  std::vector<std::string> seen;
  std::vector<std::size_t> superseded;  // "missing key" problems explained by a typo
  for (const auto& kv : node_.impl()->yaml) {
    const YAML::Node& k = kv.first;
    const std::string key = k.IsScalar() ? k.Scalar() : std::string("?");
    const Location where = node_.context().locate(join_path(node_.path(), key), k.Mark());
    const std::string path = join_path(node_.path(), key);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      node_.context().add(where, path, fmt::format("duplicate key '{}'", key));
      continue;
    }
    seen.push_back(key);
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    std::vector<std::string> allowed = known_;
    std::sort(allowed.begin(), allowed.end());
    allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    std::string all;
    for (const auto& a : allowed) all += (all.empty() ? "" : ", ") + a;
    const auto near = did_you_mean(key, allowed);
    if (near) {
      for (const auto& [mkey, index] : missing_) {
        if (mkey == *near) superseded.push_back(index);
      }
    }
    node_.context().add(where, path,
                        fmt::format("unknown key '{}' in {}{} (allowed: {})", key, what_,
                                    near ? fmt::format("; did you mean '{}'?", *near) : "", all));
  }
  std::sort(superseded.rbegin(), superseded.rend());
  auto& problems = node_.context().problems;
  for (const std::size_t i : superseded) problems.erase(problems.begin() + static_cast<std::ptrdiff_t>(i));
}

// ---------------------------------------------------------------------------------------------
// Document: loading, overrides

namespace {

// Splits "a.b[2].c" into steps; a step is a key or an index.
struct Step {
  std::string key;
  long index = -1;
};

bool split_path(const std::string& path, std::vector<Step>& steps) {
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '[') {
      const auto close = path.find(']', i);
      if (close == std::string::npos) return false;
      const auto inner = path.substr(i + 1, close - i - 1);
      if (inner.empty() || !std::all_of(inner.begin(), inner.end(), ::isdigit)) return false;
      steps.push_back(Step{"", std::stol(inner)});
      i = close + 1;
      if (i < path.size() && path[i] == '.') ++i;
    } else {
      std::size_t j = i;
      while (j < path.size() && path[j] != '.' && path[j] != '[') ++j;
      if (j == i) return false;
      steps.push_back(Step{path.substr(i, j - i), -1});
      i = j;
      if (i < path.size() && path[i] == '.') ++i;
    }
  }
  return !steps.empty();
}

void apply_override(Context& ctx, const std::string& text) {
  const auto eq = text.find('=');
  const Location where{"--set " + text, 0, 0};
  if (eq == std::string::npos || eq == 0) {
    ctx.add(where, "", "expected path=value (e.g. --set pool.servers=120)");
    return;
  }
  const std::string path = text.substr(0, eq);
  const std::string value = text.substr(eq + 1);
  std::vector<Step> steps;
  if (!split_path(path, steps)) {
    ctx.add(where, path, "malformed key path (use dotted keys and [index], e.g. clusters[0].servers)");
    return;
  }
  YAML::Node v;
  try {
    v = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    ctx.add(where, path, fmt::format("value is not valid YAML: {}", e.msg));
    return;
  }
  if (!ctx.root.IsDefined() || ctx.root.IsNull()) ctx.root = YAML::Node(YAML::NodeType::Map);
  // Walk with node copies: yaml-cpp nodes are handles, so assigning through them edits the tree.
  YAML::Node cur = ctx.root;
  std::string walked;
  for (std::size_t s = 0; s < steps.size(); ++s) {
    const bool last = s + 1 == steps.size();
    const Step& st = steps[s];
    if (st.index >= 0) {
      if (!cur.IsSequence() || static_cast<std::size_t>(st.index) >= cur.size()) {
        ctx.add(where, path, fmt::format("'{}' has no element [{}]", walked, st.index));
        return;
      }
      walked += fmt::format("[{}]", st.index);
      if (last) {
        cur[static_cast<std::size_t>(st.index)] = v;
      } else {
        YAML::Node next = cur[static_cast<std::size_t>(st.index)];
        cur.reset(next);
      }
    } else {
      if (!cur.IsMap() && !cur.IsNull()) {
        ctx.add(where, path, fmt::format("'{}' is not a mapping", walked));
        return;
      }
      walked = walked.empty() ? st.key : walked + "." + st.key;
      if (last) {
        cur[st.key] = v;
      } else {
        if (!cur[st.key].IsDefined() || cur[st.key].IsNull()) cur[st.key] = YAML::Node(YAML::NodeType::Map);
        YAML::Node next = cur[st.key];
        cur.reset(next);
      }
    }
  }
  ctx.overrides.emplace_back(path, text);
}

}  // namespace

Document Document::parse(const std::string& text, const std::string& name,
                         const std::vector<std::string>& overrides) {
  auto ctx = std::make_shared<Context>();
  ctx->file = name;
  return make(ctx, text, overrides);
}

Document Document::load(const std::string& path, const std::vector<std::string>& overrides) {
  auto ctx = std::make_shared<Context>();
  ctx->file = path;
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (st.type() == std::filesystem::file_type::not_found) {
    ctx->add(Location{path, 0, 0}, "", "no such file");
    return make(ctx, "", {});
  }
  if (ec) {
    ctx->add(Location{path, 0, 0}, "", fmt::format("cannot be read: {}", ec.message()));
    return make(ctx, "", {});
  }
  if (st.type() == std::filesystem::file_type::directory) {
    ctx->add(Location{path, 0, 0}, "", "is a directory, not a scenario file");
    return make(ctx, "", {});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ctx->add(Location{path, 0, 0}, "", "cannot be read");
    return make(ctx, "", {});
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return make(ctx, ss.str(), overrides);
}

Document Document::make(std::shared_ptr<Context> ctx, const std::string& text,
                        const std::vector<std::string>& overrides) {
  Document doc;
  if (ctx->problems.empty()) {
    try {
      ctx->root = YAML::Load(text);
      if (!ctx->root.IsDefined() || ctx->root.IsNull()) {
        ctx->add(Location{ctx->file, 0, 0}, "", "the scenario is empty (expected a mapping with at least 'name')");
      } else if (!ctx->root.IsMap()) {
        ctx->add(Location{ctx->file, ctx->root.Mark().line + 1, ctx->root.Mark().column + 1}, "",
                 "the scenario must be a mapping of keys to values");
        ctx->root = YAML::Node();
      }
    } catch (const YAML::Exception& e) {
      ctx->add(Location{ctx->file, e.mark.line + 1, e.mark.column + 1}, "", fmt::format("malformed YAML: {}", e.msg));
      ctx->root = YAML::Node();
    }
  }
  if (ctx->problems.empty()) {
    for (const auto& o : overrides) apply_override(*ctx, o);
  }
  doc.ctx_ = std::move(ctx);
  return doc;
}

Node Document::root() const {
  return make_node(ctx_, ctx_->root.IsDefined() && ctx_->root.IsMap() ? ctx_->root : YAML::Node(), "", YAML::Mark(), "");
}
const std::string& Document::file() const { return ctx_->file; }
std::string Document::base_dir() const {
  const auto p = std::filesystem::path(ctx_->file).parent_path();
  return p.empty() ? std::string(".") : p.string();
}
bool Document::ok() const { return ctx_->problems.empty(); }
void Document::check() const {
  if (ctx_->problems.empty()) return;
  // In file order, so that a user can work down the list; --set problems (line 0) first.
  auto ps = ctx_->problems;
  std::stable_sort(ps.begin(), ps.end(), [](const Problem& a, const Problem& b) {
    return std::tie(a.where.line, a.where.column) < std::tie(b.where.line, b.where.column);
  });
  throw ScenarioError(std::move(ps));
}
void Document::set_doc_sink(DocSink* sink) { ctx_->docs = sink; }

}  // namespace capsim::scenario

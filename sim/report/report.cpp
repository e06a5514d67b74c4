#include "sim/report/report.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace capsim {

std::string TimeSeries::to_csv() const {
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i) out += ',';
    out += columns[i];
  }
  out += '\n';
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (i) out += ',';
      // Shortest round-trip text: same value, same bytes.
      out += fmt::format("{}", r[i]);
    }
    out += '\n';
  }
  return out;
}

void write_file_atomic(const std::string& path, const std::string& content) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  if (ec) throw std::runtime_error(fmt::format("{}: cannot create directory: {}", target.parent_path().string(), ec.message()));
  const fs::path tmp = target.string() + fmt::format(".tmp.{}", ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(fmt::format("{}: cannot write", tmp.string()));
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      fs::remove(tmp, ec);
      throw std::runtime_error(fmt::format("{}: write failed", tmp.string()));
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw std::runtime_error(fmt::format("{}: cannot rename into place: {}", path, ec.message()));
  }
}

Json latency_json(const LogHistogram& h) {
  return Json{{"count", h.count()},      {"mean", h.mean()},      {"p50", h.quantile(0.50)},
              {"p95", h.quantile(0.95)}, {"p99", h.quantile(0.99)}, {"max", h.max()}};
}

std::string to_json_text(const Json& j) { return j.dump(2) + "\n"; }

void strip_wall_clock(Json& j) {
  if (j.contains("engine") && j["engine"].is_object()) {
    j["engine"].erase("wall_s");
    j["engine"].erase("events_per_s");
    j["engine"].erase("wall_by_phase_s");
  }
}

std::string human_number(double v) {
  if (!std::isfinite(v)) return fmt::format("{}", v);
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::string s = fmt::format("{}", static_cast<long long>(v));
    std::string out;
    const std::size_t neg = s[0] == '-' ? 1 : 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (i > neg && (s.size() - i) % 3 == 0) out += ',';
      out += s[i];
    }
    return out;
  }
  if (std::fabs(v) >= 1000) return fmt::format("{:.1f}", v);
  return fmt::format("{:.4g}", v);
}

namespace {
const Json* find(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object() || !cur->contains(k)) return nullptr;
    cur = &(*cur)[k];
  }
  return cur;
}
std::string num_at(const Json& j, std::initializer_list<const char*> path, double scale = 1.0,
                   const char* suffix = "") {
  const Json* v = find(j, path);
  if (v == nullptr || !v->is_number()) return "-";
  return human_number(v->get<double>() * scale) + suffix;
}
}  // namespace

std::string console_summary(const Json& r) {
  std::string out;
  auto row = [&](const std::string& k, const std::string& v) { out += fmt::format("  {:<28} {:>18}\n", k, v); };
  const Json* name = find(r, {"scenario", "name"});
  out += fmt::format("capsim: {}\n", name ? name->get<std::string>() : "?");
  row("requests arrived", num_at(r, {"requests", "arrived"}));
  row("requests completed", num_at(r, {"requests", "completed"}));
  row("requests rejected", num_at(r, {"requests", "rejected"}));
  row("rejection rate", num_at(r, {"rejection_rate"}, 100.0, " %"));
  if (const Json* by = find(r, {"rejections_by_reason"}); by && by->is_object()) {
    for (const auto& [reason, n] : by->items()) {
      if (n.get<double>() != 0) row("  rejected: " + reason, human_number(n.get<double>()));
    }
  }
  for (const char* m : {"queue_wait", "ttft", "e2e"}) {
    if (find(r, {"latency_s", m}) == nullptr) continue;
    row(fmt::format("{} mean / p99 (s)", m),
        num_at(r, {"latency_s", m, "mean"}) + " / " + num_at(r, {"latency_s", m, "p99"}));
  }
  row("queue depth mean / max", num_at(r, {"queue_depth", "mean"}) + " / " + num_at(r, {"queue_depth", "max"}));
  row("utilization", num_at(r, {"utilization", "mean"}, 100.0, " %"));
  if (const Json* c = find(r, {"cost", "total"}); c && c->is_number()) {
    const Json* cur = find(r, {"cost", "currency"});
    row("cost total", human_number(c->get<double>()) + " " + (cur ? cur->get<std::string>() : ""));
  }
  if (const Json* checks = find(r, {"checks"}); checks && checks->is_object()) {
    for (const auto& [k, v] : checks->items()) {
      if (v.is_object() && v.contains("pass")) row("check: " + k, v["pass"].get<bool>() ? "pass" : "FAIL");
    }
  }
  if (find(r, {"engine", "wall_s"}) != nullptr) {
    std::string side;
    if (find(r, {"engine", "partitions"}) != nullptr) {
      side = " (" + num_at(r, {"engine", "partitions"}) + " clusters side by side)";
    }
    row("events / wall s", num_at(r, {"engine", "events"}) + " / " + num_at(r, {"engine", "wall_s"}) + side);
  }
  return out;
}

}  // namespace capsim

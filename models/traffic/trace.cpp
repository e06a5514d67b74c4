#include "models/traffic/trace.h"

#include <charconv>
#include <fstream>
#include <limits>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/scenario/node.h"
#include "sim/scenario/units.h"

namespace capsim {

namespace {

using scenario::Location;
using scenario::ScenarioError;

[[noreturn]] void fail(const std::string& file, int line, int col, const std::string& msg) {
  throw ScenarioError(Location{file, line, col}, "trace", msg);
}

// Reads lines, dropping a trailing '\r' and counting them from 1.
class LineReader {
 public:
  explicit LineReader(const std::string& path) : path_(path), in_(path, std::ios::binary) {
    if (!in_) fail(path, 0, 0, "cannot open the trace file");
  }
  bool next() {
    if (!std::getline(in_, line_)) return false;
    ++number_;
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    if (number_ == 1 && line_.starts_with("\xEF\xBB\xBF")) line_.erase(0, 3);
    return true;
  }
  [[nodiscard]] const std::string& line() const { return line_; }
  [[nodiscard]] int number() const { return number_; }
  [[noreturn]] void fail_at(int col, const std::string& msg) const { fail(path_, number_, col, msg); }

 private:
  std::string path_;
  std::ifstream in_;
  std::string line_;
  int number_ = 0;
};

bool blank(std::string_view s) { return s.find_first_not_of(" \t") == std::string_view::npos; }

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::optional<std::uint32_t> parse_u32(std::string_view s) {
  s = trim(s);
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty() || v > std::numeric_limits<std::uint32_t>::max()) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(v);
}

// "2023-11-16 18:17:03.9799600" (UTC) as ns since 1970, exactly.
std::optional<std::int64_t> parse_timestamp_ns(std::string_view s) {
  s = trim(s);
  std::int64_t frac_ns = 0;
  const auto dot = s.find('.');
  if (dot != std::string_view::npos) {
    const auto frac = s.substr(dot + 1);
    if (frac.empty() || frac.size() > 9) return std::nullopt;
    std::int64_t scale = 100'000'000;
    for (const char c : frac) {
      if (c < '0' || c > '9') return std::nullopt;
      frac_ns += (c - '0') * scale;
      scale /= 10;
    }
    s = s.substr(0, dot);
  }
  if (s.size() != 19) return std::nullopt;  // the seconds must be written
  const auto d = units::parse_datetime(s, 0);
  if (!d.ok()) return std::nullopt;
  return d.value().unix_seconds * SimTime::kNsPerSec + frac_ns;
}

struct Cell {
  std::string_view text;
  int column;  // 1-based
};

std::vector<Cell> split_commas(std::string_view line) {
  std::vector<Cell> out;
  std::size_t start = 0;
  for (;;) {
    const auto comma = line.find(',', start);
    const auto end = comma == std::string_view::npos ? line.size() : comma;
    out.push_back({line.substr(start, end - start), static_cast<int>(start) + 1});
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

// Appends one record after checking that time does not go backwards.
void add_record(Trace& t, const LineReader& r, std::int64_t at_ns, std::int64_t& first_ns, std::uint32_t in,
                std::uint32_t out) {
  if (t.size() == 0) first_ns = at_ns;
  const std::int64_t rel = at_ns - first_ns;
  if (t.size() > 0 && rel < t.t_ns.back()) {
    r.fail_at(1, fmt::format("timestamps must not decrease ({} s before the previous record)",
                             static_cast<double>(t.t_ns.back() - rel) * 1e-9));
  }
  t.t_ns.push_back(rel);
  t.input_tokens.push_back(in);
  t.output_tokens.push_back(out);
}

Trace load_azure(const std::string& path) {
  LineReader r(path);
  if (!r.next()) r.fail_at(0, "the file is empty (expected the header TIMESTAMP,ContextTokens,GeneratedTokens)");
  const auto header = split_commas(r.line());
  const std::vector<std::string> want{"TIMESTAMP", "ContextTokens", "GeneratedTokens"};
  std::vector<std::size_t> index;
  for (const auto& w : want) {
    std::size_t i = 0;
    while (i < header.size() && trim(header[i].text) != w) ++i;
    if (i == header.size()) {
      r.fail_at(1, fmt::format("missing column '{}' in the header (expected TIMESTAMP,ContextTokens,GeneratedTokens)", w));
    }
    index.push_back(i);
  }
  Trace t;
  std::int64_t first = 0;
  while (r.next()) {
    if (blank(r.line())) continue;
    const auto cells = split_commas(r.line());
    if (cells.size() != header.size()) {
      r.fail_at(1, fmt::format("the row has {} fields but the header has {}", cells.size(), header.size()));
    }
    const Cell& ts = cells[index[0]];
    const auto at = parse_timestamp_ns(ts.text);
    if (!at) r.fail_at(ts.column, fmt::format("TIMESTAMP '{}' is not a time (expected 2023-11-16 18:17:03.9799600)", ts.text));
    if (*at < 0) r.fail_at(ts.column, fmt::format("TIMESTAMP '{}' is before 1970", ts.text));
    std::uint32_t tokens[2] = {0, 0};
    for (int k = 0; k < 2; ++k) {
      const Cell& c = cells[index[static_cast<std::size_t>(k) + 1]];
      const auto v = parse_u32(c.text);
      if (!v) r.fail_at(c.column, fmt::format("{} '{}' is not a non-negative integer", want[static_cast<std::size_t>(k) + 1], c.text));
      tokens[k] = *v;
    }
    add_record(t, r, *at, first, tokens[0], tokens[1]);
  }
  if (t.size() == 0) fail(path, r.number(), 0, "the trace has no records");
  return t;
}

std::uint32_t json_u32(const nlohmann::json& row, const char* key, const LineReader& r) {
  const auto it = row.find(key);
  if (it == row.end()) r.fail_at(1, fmt::format("missing key '{}'", key));
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0 ||
      it->get<std::int64_t>() > std::numeric_limits<std::uint32_t>::max()) {
    r.fail_at(1, fmt::format("'{}' must be a non-negative integer (got {})", key, it->dump()));
  }
  return static_cast<std::uint32_t>(it->get<std::int64_t>());
}

Trace load_mooncake(const std::string& path) {
  LineReader r(path);
  Trace t;
  std::int64_t first = 0;
  while (r.next()) {
    if (blank(r.line())) continue;
    nlohmann::json row;
    try {
      row = nlohmann::json::parse(r.line());
    } catch (const nlohmann::json::parse_error& e) {
      r.fail_at(static_cast<int>(e.byte), fmt::format("not a JSON object: {}", e.what()));
    }
    if (!row.is_object()) r.fail_at(1, "expected a JSON object per line");
    const auto ts = row.find("timestamp");
    if (ts == row.end()) r.fail_at(1, "missing key 'timestamp'");
    if (!ts->is_number()) r.fail_at(1, fmt::format("'timestamp' must be a number of ms (got {})", ts->dump()));
    const double ms = ts->get<double>();
    if (!(ms >= 0) || ms > 9e12) r.fail_at(1, fmt::format("'timestamp' must be a non-negative number of ms (got {})", ts->dump()));
    const std::uint32_t in = json_u32(row, "input_length", r);
    const std::uint32_t out = json_u32(row, "output_length", r);
    const auto ids = row.find("hash_ids");
    const auto begin = t.blocks.size();
    if (ids != row.end()) {
      if (!ids->is_array()) r.fail_at(1, "'hash_ids' must be a list of block ids");
      if (ids->size() > std::numeric_limits<std::uint16_t>::max()) r.fail_at(1, "'hash_ids' has more than 65535 blocks");
      for (const auto& id : *ids) {
        if (!id.is_number_integer() || id.get<std::int64_t>() < 0 ||
            id.get<std::int64_t>() > std::numeric_limits<std::uint32_t>::max()) {
          r.fail_at(1, fmt::format("'hash_ids' entries must be non-negative integers (got {})", id.dump()));
        }
        t.blocks.push_back(static_cast<std::uint32_t>(id.get<std::int64_t>()));
      }
    }
    if (t.blocks.size() > std::numeric_limits<std::uint32_t>::max()) r.fail_at(1, "the block table is too large");
    add_record(t, r, SimTime::seconds(ms * 1e-3).count_ns(), first, in, out);
    t.prefix_begin.push_back(static_cast<std::uint32_t>(begin));
    t.prefix_blocks.push_back(static_cast<std::uint16_t>(t.blocks.size() - begin));
  }
  if (t.size() == 0) fail(path, r.number(), 0, "the trace has no records");
  return t;
}

}  // namespace

Trace load_trace(const std::string& path, TraceFormat format) {
  return format == TraceFormat::kAzureCsv ? load_azure(path) : load_mooncake(path);
}

}  // namespace capsim

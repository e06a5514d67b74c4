#pragma once
// Reading a scenario document. A Node is a located view of one YAML value (yaml-cpp stays
// behind this header); a MapReader reads one mapping key by key, checks each value's type,
// unit and range, and reports every unknown key with a "did you mean". Problems are collected,
// not thrown one at a time, so that a user sees them all at once:
//
//   scenario.yaml:7:12: pool.servers: must be at least 1 (got 0)
//
// Reading goes on after a problem with a fallback value; Document::check() throws a
// ScenarioError listing them all once reading is done.
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/engine/time.h"
#include "sim/scenario/units.h"

namespace capsim::scenario {

/// Where a value was written: 1-based line and column; line 0 when there is none (--set).
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
  [[nodiscard]] std::string str() const;
};

struct Problem {
  Location where;
  std::string path;  ///< dotted key path, e.g. "clusters[1].servers"
  std::string message;
  [[nodiscard]] std::string str() const;  ///< "file:line:col: path: message"
};

/// Bad input: the scenario (or a file it names) has problems. Exit code 2.
class ScenarioError : public std::runtime_error {
 public:
  explicit ScenarioError(std::vector<Problem> problems);
  /// A single problem without a YAML node (a bad trace row, a bad command-line value).
  ScenarioError(Location where, std::string path, std::string message);
  [[nodiscard]] const std::vector<Problem>& problems() const { return problems_; }

 private:
  std::vector<Problem> problems_;
};

/// One documented key, as recorded while reading (drives the scenario reference).
struct KeyDoc {
  std::string path;  ///< path with list indices as [] and map entries as <name>
  std::string type;  ///< number, count, duration, rate, bool, string, choice, date, map, list, ...
  std::string unit;
  std::string default_value;  ///< empty when required
  std::string allowed;
  std::string help;
};

/// Receives the KeyDoc of every key read; used to generate docs/scenario-reference.md.
class DocSink {
 public:
  virtual ~DocSink() = default;
  virtual void key(const KeyDoc& doc) = 0;
};

class Context;

/// A located view of a YAML value. Cheap to copy.
class Node {
 public:
  Node();
  [[nodiscard]] bool defined() const;  ///< false when the key was absent
  [[nodiscard]] bool is_null() const;  ///< absent or `~`/empty
  [[nodiscard]] bool is_map() const;
  [[nodiscard]] bool is_list() const;
  [[nodiscard]] bool is_scalar() const;
  [[nodiscard]] const std::string& path() const;
  [[nodiscard]] Location location() const;
  /// The scalar's text (empty unless is_scalar()).
  [[nodiscard]] std::string text() const;
  /// List elements (empty unless is_list()).
  [[nodiscard]] std::vector<Node> items() const;
  /// Records a problem at this node.
  void error(const std::string& message) const;
  [[nodiscard]] Context& context() const;
  /// How many problems the document has so far (to skip checks that follow a failed read).
  [[nodiscard]] std::size_t problems_so_far() const;

  // Scalar conversions: each records a problem (and returns nullopt) on failure.
  [[nodiscard]] std::optional<double> as_number() const;    ///< 1.5, 1_000, 2.5k
  [[nodiscard]] std::optional<double> as_seconds() const;   ///< a duration, in seconds
  [[nodiscard]] std::optional<SimTime> as_duration() const;
  [[nodiscard]] std::optional<double> as_rate() const;      ///< per second
  [[nodiscard]] std::optional<bool> as_bool() const;
  [[nodiscard]] std::optional<std::string> as_string() const;
  [[nodiscard]] std::optional<units::DateTime> as_datetime() const;

  struct Impl;
  explicit Node(std::shared_ptr<const Impl> impl);
  [[nodiscard]] const std::shared_ptr<const Impl>& impl() const { return impl_; }

 private:
  std::shared_ptr<const Impl> impl_;
};

/// Limits on a numeric value; messages name them ("must be at least 1").
struct Range {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;
  static Range positive(double max = std::numeric_limits<double>::infinity()) { return {0, max, true}; }
  static Range non_negative(double max = std::numeric_limits<double>::infinity()) { return {0, max, false}; }
  static Range at_least(double min, double max = std::numeric_limits<double>::infinity()) { return {min, max, false}; }
  static Range unit_interval() { return {0, 1, false}; }
};

/// Help text and unit of one key, for error messages and the scenario reference.
struct Help {
  std::string_view text;
  std::string_view unit = "";
};

/// Marks a mapping whose keys are names the scenario chose (clusters, tiers, classes, models)
/// rather than fixed keys: the scenario reference then lists its entries once, as
/// `<placeholder>` (e.g. `serving.tiers.<tier>.priority`), with `names_from` saying where the
/// names come from.
struct NamedKeys {
  std::string_view placeholder;  ///< "cluster", "tier", "class", "model"
  std::string_view names_from;   ///< e.g. "traffic.tiers[].name"
};

/// Reads one mapping. Every key a reader asks about becomes known; finish() reports the rest
/// as unknown. A null or absent node reads as an empty mapping.
class MapReader {
 public:
  MapReader(const Node& node, std::string_view what);
  /// A mapping keyed by names: reads as above, documented with a placeholder for the key.
  MapReader(const Node& node, std::string_view what, NamedKeys names);
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;
  ~MapReader();

  [[nodiscard]] bool has(std::string_view key) const;
  [[nodiscard]] const Node& node() const { return node_; }

  /// A nested value (map or list) to be read by the caller; not defined() when absent.
  Node child(std::string_view key, Help help, bool required = false, std::string_view type = "map");

  double number(std::string_view key, Help help, Range range, std::optional<double> def = std::nullopt);
  /// An integer count ("100", "1_000", "2.5k"), within `range`.
  std::int64_t count(std::string_view key, Help help, Range range,
                     std::optional<std::int64_t> def = std::nullopt);
  SimTime duration(std::string_view key, Help help, Range range_s,
                   std::optional<SimTime> def = std::nullopt);
  /// A rate in events per second ("8/s", "1.2M/day").
  double rate(std::string_view key, Help help, Range range_per_s, std::optional<double> def = std::nullopt);
  bool flag(std::string_view key, Help help, std::optional<bool> def = std::nullopt);
  std::string string(std::string_view key, Help help, std::optional<std::string> def = std::nullopt);
  /// One of `allowed`.
  std::string choice(std::string_view key, Help help, const std::vector<std::string>& allowed,
                     std::optional<std::string> def = std::nullopt);
  units::DateTime datetime(std::string_view key, Help help, std::optional<units::DateTime> def = std::nullopt);

  /// An integer, or `unlimited` (returned as nullopt). Absent: `def`.
  std::optional<std::int64_t> count_or_unlimited(std::string_view key, Help help, Range range,
                                                 std::optional<std::int64_t> def);

  /// Marks a key as known without reading it (its reader lives elsewhere).
  void known(std::string_view key);
  /// Reports unknown keys. Called by the destructor if not called before.
  void finish();

 private:
  Node fetch(std::string_view key, const KeyDoc& doc, bool required);
  KeyDoc doc(std::string_view key, std::string_view type, Help help, std::string def,
             std::string allowed = "") const;

  Node node_;
  std::string what_;
  std::string placeholder_;  // "<tier>" for a mapping keyed by names, else empty
  std::string names_from_;
  std::vector<std::string> known_;
  std::vector<std::pair<std::string, std::size_t>> missing_;  // (key, index of its problem)
  bool finished_ = false;
};

/// Checks a number against a range; returns the problem message or empty.
std::string range_problem(double v, const Range& r);

/// The closest of `candidates` to `word` when it is close enough to be a likely typo.
std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

/// A loaded scenario file with its --set overrides applied, and its list of problems.
class Document {
 public:
  /// Loads `path`; a missing, empty or malformed file records a problem (root then is null).
  /// Each override is "dotted.path[index]=yaml-value".
  static Document load(const std::string& path, const std::vector<std::string>& overrides = {});
  /// Parses YAML text (for tests and for files named in error messages as `name`).
  static Document parse(const std::string& text, const std::string& name,
                        const std::vector<std::string>& overrides = {});

  [[nodiscard]] Node root() const;
  [[nodiscard]] const std::string& file() const;
  /// The directory relative paths in the scenario are resolved against.
  [[nodiscard]] std::string base_dir() const;
  [[nodiscard]] bool ok() const;
  /// Throws ScenarioError with every problem recorded so far, if any.
  void check() const;
  void set_doc_sink(DocSink* sink);

 private:
  static Document make(std::shared_ptr<Context> ctx, const std::string& text,
                       const std::vector<std::string>& overrides);
  std::shared_ptr<Context> ctx_;
};

}  // namespace capsim::scenario

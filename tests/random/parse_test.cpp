// parse_distribution: every YAML form, and the problems a user sees for bad input.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sim/random/distribution.h"
#include "sim/scenario/node.h"

using capsim::Distribution;
using capsim::parse_distribution;
using capsim::Quantity;
using capsim::scenario::Document;
using capsim::scenario::Help;
using capsim::scenario::MapReader;
using capsim::scenario::Problem;
using capsim::scenario::ScenarioError;

namespace {

struct Result {
  Distribution d;
  std::vector<Problem> problems;
};

// Parses the value of key `d` in `yaml` the way a model's reader would.
Result parse(const std::string& yaml, Quantity q = Quantity::kNumber,
             const std::string& base_dir = ".") {
  const Document doc = Document::parse(yaml, "test.yaml");
  Result r;
  {
    MapReader reader(doc.root(), "test");
    r.d = parse_distribution(reader.child("d", Help{"a distribution"}, true, "distribution"), q,
                             base_dir);
  }
  try {
    doc.check();
  } catch (const ScenarioError& e) {
    r.problems = e.problems();
  }
  return r;
}

Distribution ok(const std::string& yaml, Quantity q = Quantity::kNumber,
                const std::string& base_dir = ".") {
  auto r = parse(yaml, q, base_dir);
  INFO(yaml);
  for (const auto& p : r.problems) INFO(p.str());
  REQUIRE(r.problems.empty());
  return r.d;
}

// The single problem that `yaml` must produce. The result must be the fallback constant 0,
// except for unknown keys: those are reported when the reader finishes, after the parameters
// it knows have been read into a valid distribution (which Document::check() then rejects).
Problem one_problem(const std::string& yaml, Quantity q = Quantity::kNumber, bool fallback = true) {
  auto r = parse(yaml, q);
  INFO(yaml);
  for (const auto& p : r.problems) UNSCOPED_INFO(p.str());
  REQUIRE(r.problems.size() == 1);
  if (fallback) {
    CHECK(r.d.is_constant());
    CHECK(r.d.mean() == 0.0);
  }
  return r.problems.front();
}

// A scratch directory for CSV files, removed at the end of the test case.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name)
      : path(std::filesystem::temp_directory_path() /
             ("capsim-random-" + std::to_string(::getpid()) + "-" + name)) {
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] std::string write(const std::string& file, const std::string& text) const {
    std::ofstream(path / file, std::ios::binary) << text;
    return (path / file).string();
  }
};

}  // namespace

TEST_CASE("parse: a scalar is a constant", "[random][parse]") {
  CHECK(ok("d: 3").describe() == "constant(3)");
  CHECK(ok("d: 2.5k").mean() == 2500);
  CHECK(ok("d: 1s", Quantity::kSeconds).mean() == 1.0);
  CHECK(ok("d: 250ms", Quantity::kSeconds).mean() == Approx(0.25));
}

TEST_CASE("parse: every distribution in plain numbers", "[random][parse]") {
  CHECK(ok("d: {dist: constant, value: 2}").describe() == "constant(2)");
  CHECK(ok("d: {dist: exponential, mean: 2}").mean() == 2);
  CHECK(ok("d: {dist: exponential, rate: 4}").mean() == 0.25);
  CHECK(ok("d: {dist: uniform, min: 1, max: 3}").describe() == "uniform(min=1, max=3)");
  CHECK(ok("d: {dist: uniform, min: -3, max: -1}").mean() == -2);
  CHECK(ok("d: {dist: normal, mean: 5, sd: 1}").describe() == "normal(mean=5, sd=1)");
  CHECK(ok("d: {dist: normal, mean: -5, sd: 1, min: -6, max: -4}").describe() ==
        "normal(mean=-5, sd=1, min=-6, max=-4)");
  CHECK(ok("d: {dist: lognormal, mu: 0, sigma: 1}").mean() == Approx(std::exp(0.5)));
  CHECK(ok("d: {dist: lognormal, median: 200, p99: 1500}").describe() ==
        Distribution::lognormal_median_p99(200, 1500).describe());
  CHECK(ok("d: {dist: lognormal, mean: 3, sd: 2}").mean() == Approx(3));
  CHECK(ok("d: {dist: lognormal, mean: 3, sd: 2}").variance() == Approx(4));
  CHECK(ok("d: {dist: gamma, shape: 2, scale: 3}").describe() == "gamma(shape=2, scale=3)");
  CHECK(ok("d: {dist: gamma, shape: 2, mean: 4}").describe() == "gamma(shape=2, scale=2)");
  CHECK(ok("d: {dist: weibull, shape: 1.5, scale: 2}").describe() == "weibull(shape=1.5, scale=2)");
  CHECK(ok("d: {dist: pareto, alpha: 2.5, xm: 100}").describe() == "pareto(alpha=2.5, xm=100)");
  CHECK(ok("d: {dist: bounded_pareto, alpha: 1.1, min: 10, max: 10k}").describe() ==
        "bounded_pareto(alpha=1.1, min=10, max=10000)");
  CHECK(ok("d: {dist: empirical, values: [1, 2, 10], weights: [1, 2, 1]}").mean() == 3.75);
  CHECK(ok("d: {dist: empirical, values: [4, 6]}").mean() == 5);
}

TEST_CASE("parse: durations take units, shape parameters do not", "[random][parse]") {
  const auto s = Quantity::kSeconds;
  CHECK(ok("d: {dist: constant, value: 2m}", s).mean() == Approx(120));
  CHECK(ok("d: {dist: exponential, mean: 250ms}", s).mean() == Approx(0.25));
  CHECK(ok("d: {dist: exponential, rate: 4/s}", s).mean() == Approx(0.25));
  CHECK(ok("d: {dist: exponential, rate: 30/min}", s).mean() == Approx(2));
  CHECK(ok("d: {dist: uniform, min: 0s, max: 2s}", s).mean() == 1);
  CHECK(ok("d: {dist: normal, mean: 1s, sd: 200ms, min: 0s}", s).describe() ==
        "normal(mean=1, sd=0.2, min=0)");
  CHECK(ok("d: {dist: lognormal, mu: -1, sigma: 0.5}", s).describe() ==
        "lognormal(mu=-1, sigma=0.5)");
  CHECK(ok("d: {dist: lognormal, median: 200ms, p99: 1.5s}", s).describe() ==
        Distribution::lognormal_median_p99(0.2, 1.5).describe());
  CHECK(ok("d: {dist: lognormal, mean: 2s, sd: 1s}", s).mean() == Approx(2));
  CHECK(ok("d: {dist: gamma, shape: 2, mean: 1s}", s).mean() == Approx(1));
  CHECK(ok("d: {dist: gamma, shape: 2, scale: 500ms}", s).mean() == Approx(1));
  CHECK(ok("d: {dist: weibull, shape: 2, scale: 1h}", s).describe() ==
        "weibull(shape=2, scale=3600)");
  CHECK(ok("d: {dist: pareto, alpha: 3, xm: 10ms}", s).describe() == "pareto(alpha=3, xm=0.01)");
  CHECK(ok("d: {dist: bounded_pareto, alpha: 1, min: 1ms, max: 1s}", s).describe() ==
        "bounded_pareto(alpha=1, min=0.001, max=1)");
  CHECK(ok("d: {dist: empirical, values: [100ms, 1s], weights: [3, 1]}", s).mean() ==
        Approx(0.325));
}

TEST_CASE("parse: unknown distribution name lists the allowed names", "[random][parse]") {
  const auto p = one_problem("d:\n  dist: expo\n  mean: 2\n");
  CHECK(p.path == "d.dist");
  CHECK(p.where.file == "test.yaml");
  CHECK(p.where.line == 2);
  CHECK_THAT(p.message, Catch::Contains("'expo' is not allowed"));
  CHECK_THAT(p.message,
             Catch::Contains("allowed: constant, exponential, uniform, normal, lognormal, "
                             "gamma, weibull, pareto, bounded_pareto, empirical"));
  // A near miss gets a suggestion.
  CHECK_THAT(one_problem("d:\n  dist: exponentail\n  mean: 2\n").message,
             Catch::Contains("did you mean 'exponential'?"));
}

TEST_CASE("parse: an unknown key gets a did-you-mean", "[random][parse]") {
  const auto p =
      one_problem("d:\n  dist: normal\n  mean: 1\n  sd: 1\n  maxx: 3\n", Quantity::kNumber, false);
  CHECK(p.path == "d.maxx");
  CHECK(p.where.line == 5);
  CHECK_THAT(p.message, Catch::Contains("unknown key 'maxx'"));
  CHECK_THAT(p.message, Catch::Contains("did you mean 'max'?"));
}

TEST_CASE("parse: a misspelt key of a two-form distribution", "[random][parse]") {
  const auto r = parse("d:\n  dist: exponential\n  meen: 2\n");
  REQUIRE(r.problems.size() == 2);
  CHECK(r.problems[0].path == "d");
  CHECK(r.problems[0].where.line == 2);
  CHECK_THAT(r.problems[0].message, Catch::Contains("exponential needs one of: mean, rate"));
  CHECK(r.problems[1].path == "d.meen");
  CHECK(r.problems[1].where.line == 3);
  CHECK_THAT(r.problems[1].message, Catch::Contains("did you mean 'mean'?"));
}

TEST_CASE("parse: a negative mean", "[random][parse]") {
  const auto p = one_problem("d:\n  dist: exponential\n  mean: -1\n");
  CHECK(p.path == "d.mean");
  CHECK(p.where.line == 3);
  CHECK(p.where.column == 9);
  CHECK(p.message == "must be greater than 0 (got -1)");
  CHECK(p.str() == "test.yaml:3:9: d.mean: must be greater than 0 (got -1)");
}

TEST_CASE("parse: min must be less than max", "[random][parse]") {
  for (const std::string max : {"2", "5"}) {
    const auto p = one_problem("d:\n  dist: uniform\n  min: 5\n  max: " + max + "\n");
    CHECK(p.path == "d.max");
    CHECK(p.where.line == 4);
    CHECK_THAT(p.message, Catch::Contains("must be greater than min"));
  }
  const auto bp = one_problem("d:\n  dist: bounded_pareto\n  alpha: 1\n  min: 10\n  max: 1\n");
  CHECK(bp.path == "d.max");
  CHECK(bp.where.line == 5);
  const auto n = one_problem("d:\n  dist: normal\n  mean: 0\n  sd: 1\n  min: 1\n  max: 0\n");
  CHECK(n.path == "d.max");
  CHECK(n.where.line == 6);
}

TEST_CASE("parse: a missing required parameter", "[random][parse]") {
  const auto p = one_problem("d:\n  dist: uniform\n  min: 1\n");
  CHECK(p.path == "d.max");
  CHECK(p.where.line == 2);  // where the mapping that lacks it starts
  CHECK_THAT(p.message, Catch::Contains("missing required key 'max'"));

  const auto no_dist = one_problem("d:\n  mean: 1\n");
  CHECK(no_dist.path == "d");
  CHECK(no_dist.where.line == 2);
  CHECK_THAT(no_dist.message, Catch::Contains("missing required key 'dist' (allowed: constant,"));

  // Reported once, by the reader that fetched the key as required.
  const auto absent = one_problem("{}\n");
  CHECK(absent.path == "d");
  CHECK_THAT(absent.message, Catch::Contains("missing required key 'd'"));

  const auto null = one_problem("d:\n");
  CHECK(null.path == "d");
  CHECK_THAT(null.message, Catch::Contains("has no value"));
}

TEST_CASE("parse: alternative parameter sets are exclusive", "[random][parse]") {
  const auto both = one_problem("d:\n  dist: exponential\n  mean: 1\n  rate: 2\n");
  CHECK(both.path == "d");
  CHECK_THAT(both.message, Catch::Contains("takes only one of: mean, rate (found mean and rate)"));
  const auto mixed = one_problem("d:\n  dist: lognormal\n  mu: 0\n  median: 1\n");
  CHECK_THAT(
      mixed.message,
      Catch::Contains("lognormal takes only one of: {mu, sigma}, {median, p99}, {mean, sd}"));
  // Half of a form: the other half is missing.
  const auto half = one_problem("d:\n  dist: lognormal\n  median: 1\n");
  CHECK(half.path == "d.p99");
  CHECK_THAT(half.message, Catch::Contains("missing required key 'p99'"));
}

TEST_CASE("parse: parameter checks", "[random][parse]") {
  SECTION("p99 above the median") {
    const auto p = one_problem("d:\n  dist: lognormal\n  median: 2\n  p99: 1\n");
    CHECK(p.path == "d.p99");
    CHECK(p.where.line == 4);
    CHECK_THAT(p.message, Catch::Contains("must be greater than median"));
  }
  SECTION("shape parameters positive") {
    CHECK(one_problem("d: {dist: gamma, shape: 0, scale: 1}").path == "d.shape");
    CHECK(one_problem("d: {dist: weibull, shape: 1, scale: -2}").path == "d.scale");
    CHECK(one_problem("d: {dist: pareto, alpha: -1, xm: 1}").path == "d.alpha");
    CHECK(one_problem("d: {dist: lognormal, mu: 0, sigma: 0}").path == "d.sigma");
    CHECK(one_problem("d: {dist: normal, mean: 0, sd: 0}").path == "d.sd");
  }
  SECTION("not a number, not finite") {
    const auto p = one_problem("d:\n  dist: exponential\n  mean: abc\n");
    CHECK(p.path == "d.mean");
    CHECK_THAT(p.message, Catch::Contains("not a number"));
    CHECK(one_problem("d: {dist: constant, value: .inf}").path == "d.value");
    CHECK(one_problem("d: {dist: constant, value: ~}").path == "d.value");
  }
  SECTION("truncation bounds that keep almost no mass") {
    const auto p = one_problem("d:\n  dist: normal\n  mean: 0\n  sd: 1\n  min: 6\n");
    CHECK(p.path == "d.min");
    CHECK_THAT(p.message, Catch::Contains("keep only"));
  }
  SECTION("empirical values and weights") {
    CHECK_THAT(one_problem("d: {dist: empirical, values: []}").message,
               Catch::Contains("must not be empty"));
    CHECK_THAT(one_problem("d: {dist: empirical, values: 3}").message,
               Catch::Contains("expected a list"));
    const auto len = one_problem("d: {dist: empirical, values: [1, 2], weights: [1]}");
    CHECK(len.path == "d.weights");
    CHECK_THAT(len.message, Catch::Contains("has 1 entries but values has 2"));
    const auto neg = one_problem("d: {dist: empirical, values: [1, 2], weights: [1, -1]}");
    CHECK(neg.path == "d.weights[1]");
    CHECK_THAT(one_problem("d: {dist: empirical, values: [1, 2], weights: [0, 0]}").message,
               Catch::Contains("positive, finite sum"));
    CHECK(one_problem("d: {dist: empirical, values: [1, x]}").path == "d.values[1]");
  }
  SECTION("neither a scalar nor a mapping") {
    CHECK_THAT(one_problem("d: [1, 2]").message,
               Catch::Contains("expected a number or a distribution"));
  }
}

TEST_CASE("parse: durations cannot be negative or unitless", "[random][parse]") {
  const auto s = Quantity::kSeconds;
  CHECK_THAT(one_problem("d: -1s", s).message, Catch::Contains("durations cannot be negative"));
  CHECK_THAT(one_problem("d: 2", s).message, Catch::Contains("needs a unit"));
  CHECK(one_problem("d: {dist: exponential, mean: 2}", s).path == "d.mean");
  CHECK(one_problem("d: {dist: uniform, min: -1s, max: 1s}", s).path == "d.min");
  CHECK(one_problem("d: {dist: empirical, values: [1s, -2s]}", s).path == "d.values[1]");
  // A normal duration must be bounded below, or it would draw negative times.
  const auto p = one_problem("d:\n  dist: normal\n  mean: 1s\n  sd: 100ms\n", s);
  CHECK(p.path == "d.min");
  CHECK_THAT(p.message, Catch::Contains("missing required key 'min'"));
  CHECK_THAT(p.message, Catch::Contains("cannot be negative"));
}

TEST_CASE("parse: problems accumulate", "[random][parse]") {
  const auto r = parse("d:\n  dist: uniform\n  min: x\n  max: y\n  extra: 1\n");
  REQUIRE(r.problems.size() == 3);
  CHECK(r.problems[0].path == "d.min");
  CHECK(r.problems[1].path == "d.max");
  CHECK(r.problems[2].path == "d.extra");
  CHECK(r.d.is_constant());
}

TEST_CASE("parse: empirical from a CSV column", "[random][parse]") {
  const TempDir dir("csv-ok");
  (void)dir.write("lat.csv", "id,latency_ms,\"name, quoted\"\n1,12.5,a\n2,30,\"b,c\"\n\n3,7.5,c\n");
  const std::string base = dir.path.string();

  const auto d =
      ok("d: {dist: empirical, csv: lat.csv, column: latency_ms}", Quantity::kNumber, base);
  CHECK(d.mean() == Approx((12.5 + 30 + 7.5) / 3));
  CHECK(d.describe() == "empirical(n=3, mean=16.6667)");

  const auto s = ok("d: {dist: empirical, csv: lat.csv, column: latency_ms, unit: ms}",
                    Quantity::kSeconds, base);
  CHECK(s.mean() == Approx((12.5 + 30 + 7.5) / 3 / 1000));

  // An absolute path ignores the base directory; CRLF line ends and a byte-order mark are fine.
  const std::string crlf = dir.write("crlf.csv",
                                     "\xEF\xBB\xBF"
                                     "a,b\r\n1,250ms\r\n2,1s\r\n");
  CHECK(
      ok("d: {dist: empirical, csv: '" + crlf + "', column: b}", Quantity::kSeconds, "/nonexistent")
          .mean() == Approx(0.625));
  CHECK(ok("d: {dist: empirical, csv: '" + crlf + "', column: a}").mean() == 1.5);
}

TEST_CASE("parse: CSV errors name the file, line and column", "[random][parse]") {
  const TempDir dir("csv-bad");
  const std::string base = dir.path.string();
  const std::string bad = dir.write("bad.csv", "id,latency_ms\n1,12\n2,abc\n");

  SECTION("a cell that is not a number") {
    try {
      (void)parse("d: {dist: empirical, csv: bad.csv, column: latency_ms}", Quantity::kNumber,
                  base);
      FAIL("expected a ScenarioError");
    } catch (const ScenarioError& e) {
      REQUIRE(e.problems().size() == 1);
      const auto& p = e.problems().front();
      CHECK(p.where.file == bad);
      CHECK(p.where.line == 3);
      CHECK(p.where.column == 3);
      CHECK(p.path == "column 'latency_ms'");
      CHECK(p.str() == bad + ":3:3: column 'latency_ms': 'abc' is not a number");
    }
  }
  SECTION("an unknown column") {
    try {
      (void)capsim::read_csv_column(bad, "latency_m", Quantity::kNumber);
      FAIL("expected a ScenarioError");
    } catch (const ScenarioError& e) {
      const auto& p = e.problems().front();
      CHECK(p.where.line == 1);
      CHECK_THAT(p.message, Catch::Contains("no such column"));
      CHECK_THAT(p.message, Catch::Contains("did you mean 'latency_ms'?"));
      CHECK_THAT(p.message, Catch::Contains("(columns: id, latency_ms)"));
    }
  }
  SECTION("bare numbers for durations need a unit") {
    const std::string f = dir.write("s.csv", "x\n0.5\n");
    try {
      (void)capsim::read_csv_column(f, "x", Quantity::kSeconds);
      FAIL("expected a ScenarioError");
    } catch (const ScenarioError& e) {
      CHECK(e.problems().front().where.line == 2);
      CHECK_THAT(e.problems().front().message, Catch::Contains("has no unit"));
    }
    CHECK(capsim::read_csv_column(f, "x", Quantity::kSeconds, 1e-3) == std::vector<double>{0.0005});
  }
  SECTION("short rows, empty cells, no rows") {
    CHECK_THROWS_WITH(
        capsim::read_csv_column(dir.write("a.csv", "a,b\n1\n"), "b", Quantity::kNumber),
        Catch::Contains("a.csv:2:1: column 'b': the row has 1 fields but the header has 2"));
    CHECK_THROWS_WITH(
        capsim::read_csv_column(dir.write("e.csv", "a,b\n1,\n"), "b", Quantity::kNumber),
        Catch::Contains("empty cell"));
    CHECK_THROWS_WITH(capsim::read_csv_column(dir.write("h.csv", "a,b\n"), "b", Quantity::kNumber),
                      Catch::Contains("no values"));
  }
  SECTION("a missing file is a problem at the csv key") {
    const auto r =
        parse("d:\n  dist: empirical\n  csv: nope.csv\n  column: x\n", Quantity::kNumber, base);
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].path == "d.csv");
    CHECK(r.problems[0].where.line == 3);
    CHECK_THAT(r.problems[0].message, Catch::Contains("cannot open"));
    CHECK(r.d.is_constant());
  }
  SECTION("a bad unit") {
    const auto r = parse("d: {dist: empirical, csv: bad.csv, column: latency_ms, unit: parsec}",
                         Quantity::kSeconds, base);
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].path == "d.unit");
  }
  SECTION("unit is not a key for plain numbers") {
    (void)dir.write("good.csv", "latency_ms\n1\n");
    const auto r = parse("d: {dist: empirical, csv: good.csv, column: latency_ms, unit: ms}",
                         Quantity::kNumber, base);
    REQUIRE_FALSE(r.problems.empty());
    CHECK(r.problems.back().path == "d.unit");
  }
}

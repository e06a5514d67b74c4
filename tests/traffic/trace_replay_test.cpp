// Trace replay against the traces themselves, and located errors for bad traces.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "sim/scenario/units.h"
#include "traffic_helpers.h"

using namespace capsim;
using capsim::test::run_source;
using capsim::test::traffic_scenario;

namespace {

// The shared traces next to the project; CAPSIM_TRACES points elsewhere (a checkout without shared/).
const std::string kTraces = std::getenv("CAPSIM_TRACES") != nullptr ? std::getenv("CAPSIM_TRACES")
                                                                      : CAPSIM_SOURCE_DIR "/../shared/traces";

bool have_traces() {
  if (std::filesystem::exists(kTraces + "/azure_llm_2023/AzureLLMInferenceTrace_conv.csv")) return true;
  WARN("SKIPPED: no traces at " << kTraces << " (the shared/ folder next to the project)");
  return false;
}

// The test's own reading of the files: times in ns, tokens, line by line.
struct Rows {
  std::vector<std::int64_t> t_ns;
  std::vector<double> input, output;
};

Rows read_azure(const std::string& path) {
  Rows r;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    int y, mo, d, h, mi, sec;
    char frac[16] = {0};
    long long ctx, gen;
    REQUIRE(std::sscanf(line.c_str(), "%d-%d-%d %d:%d:%d.%15[0-9],%lld,%lld", &y, &mo, &d, &h, &mi, &sec, frac, &ctx,
                        &gen) == 9);
    std::string f(frac);
    f.resize(9, '0');
    const std::int64_t days = units::days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    r.t_ns.push_back(((days * 24 + h) * 60 + mi) * 60 * 1'000'000'000LL + sec * 1'000'000'000LL + std::stoll(f));
    r.input.push_back(static_cast<double>(ctx));
    r.output.push_back(static_cast<double>(gen));
  }
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string trace_yaml(const std::string& format, const std::string& file, const std::string& extra = "") {
  return fmt::format("  trace: {{format: {}, file: '{}'{}}}\n", format, file, extra);
}

}  // namespace

TEST_CASE("Azure trace replay reproduces count, token medians and gaps exactly") {
  if (!have_traces()) return;
  const std::string file = kTraces + "/azure_llm_2023/AzureLLMInferenceTrace_conv.csv";
  const Rows want = read_azure(file);
  const auto s = traffic_scenario("horizon: 2h\n", trace_yaml("azure_csv", file, ", offset: 5s"));
  Rows got;
  run_source(s, [&](const Request& q) {
    got.t_ns.push_back(q.arrival.count_ns());
    got.input.push_back(q.input_tokens);
    got.output.push_back(q.output_tokens);
  });
  REQUIRE(got.t_ns.size() == want.t_ns.size());
  CHECK(got.t_ns.front() == SimTime::sec(5).count_ns());
  CHECK(median(got.input) == median(want.input));
  CHECK(median(got.output) == median(want.output));
  std::size_t same = 0;
  for (std::size_t i = 1; i < want.t_ns.size(); ++i) {
    same += (got.t_ns[i] - got.t_ns[i - 1]) == (want.t_ns[i] - want.t_ns[i - 1]);
  }
  CHECK(same == want.t_ns.size() - 1);
}

TEST_CASE("Mooncake trace replay keeps gaps, tokens and prefix blocks") {
  if (!have_traces()) return;
  const std::string file = kTraces + "/mooncake_fast25/conversation_trace.jsonl";
  std::vector<std::int64_t> want_t;
  std::vector<std::vector<std::uint32_t>> want_blocks;
  {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      const auto j = nlohmann::json::parse(line);
      want_t.push_back(j["timestamp"].get<std::int64_t>() * 1'000'000);
      want_blocks.push_back(j["hash_ids"].get<std::vector<std::uint32_t>>());
    }
  }
  const auto s = traffic_scenario("horizon: 3h\n", trace_yaml("mooncake_jsonl", file));
  std::vector<std::int64_t> got_t;
  std::vector<std::pair<std::uint32_t, std::uint16_t>> prefix;
  const auto r = run_source(s, [&](const Request& q) {
    got_t.push_back(q.arrival.count_ns());
    prefix.emplace_back(q.prefix_begin, q.prefix_blocks);
  });
  REQUIRE(got_t.size() == want_t.size());
  CHECK(got_t == want_t);  // the trace starts at 0 ms
  bool blocks_ok = true;
  for (std::size_t i = 0; i < want_blocks.size(); ++i) {
    const auto [b, n] = prefix[i];
    blocks_ok = blocks_ok && n == want_blocks[i].size() &&
                std::equal(want_blocks[i].begin(), want_blocks[i].end(), r.blocks.begin() + b);
  }
  CHECK(blocks_ok);
}

TEST_CASE("rate multiplier, speed-up and looping scale the trace") {
  if (!have_traces()) return;
  const std::string file = kTraces + "/azure_llm_2023/AzureLLMInferenceTrace_code.csv";
  const Rows rows = read_azure(file);
  const double n = static_cast<double>(rows.t_ns.size());
  SECTION("duplication and thinning") {
    for (const double m : {2.5, 0.4}) {
      const auto s = traffic_scenario("horizon: 2h\n", trace_yaml("azure_csv", file, fmt::format(", rate_multiplier: {}, jitter: 2s", m)));
      const auto r = run_source(s, [](const Request&) {});
      const double frac = m - std::floor(m);
      CHECK(std::fabs(static_cast<double>(r.arrived) - m * n) <= 4 * std::sqrt(n * frac * (1 - frac)));
    }
  }
  SECTION("speed-up halves every gap") {
    const auto s = traffic_scenario("horizon: 2h\n", trace_yaml("azure_csv", file, ", speedup: 2"));
    std::vector<std::int64_t> t;
    run_source(s, [&](const Request& q) { t.push_back(q.arrival.count_ns()); });
    REQUIRE(t.size() == rows.t_ns.size());
    const double span = static_cast<double>(rows.t_ns.back() - rows.t_ns.front());
    CHECK(static_cast<double>(t.back() - t.front()) == Approx(span / 2).margin(1));
  }
  SECTION("a loop replays the trace again after span + one mean gap") {
    const std::int64_t span = rows.t_ns.back() - rows.t_ns.front();
    const std::int64_t period = span + span / static_cast<std::int64_t>(rows.t_ns.size() - 1);
    const auto s = traffic_scenario(fmt::format("horizon: {}ns\n", 2 * period - 1), trace_yaml("azure_csv", file, ", loop: true"));
    std::vector<std::int64_t> t;
    run_source(s, [&](const Request& q) { t.push_back(q.arrival.count_ns()); });
    REQUIRE(t.size() == 2 * rows.t_ns.size());
    CHECK(t[rows.t_ns.size()] == period);
  }
}

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / "capsim_traffic_test";
  std::filesystem::create_directories(dir);
  const auto path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

std::string load_error(const std::string& path, TraceFormat f) {
  try {
    load_trace(path, f);
  } catch (const scenario::ScenarioError& e) {
    return e.problems().at(0).str();
  }
  return "no error";
}

}  // namespace

TEST_CASE("bad traces give a located error") {
  const std::string ok_head = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  const std::string row1 = "2023-11-16 18:17:03.9799600,4808,10\n";
  struct Case {
    std::string name, text;
    TraceFormat format;
    int line;
    std::string message;
  };
  const std::vector<Case> cases{
      {"missing.csv", "TIMESTAMP,ContextTokens\n" + row1, TraceFormat::kAzureCsv, 1, "missing column 'GeneratedTokens'"},
      {"unsorted.csv", ok_head + row1 + "2023-11-16 18:17:01.0000000,1,1\n", TraceFormat::kAzureCsv, 3, "must not decrease"},
      {"text.csv", ok_head + row1 + "2023-11-16 18:17:04.0,many,1\n", TraceFormat::kAzureCsv, 3, "'many' is not a non-negative integer"},
      {"badtime.csv", ok_head + "yesterday,1,1\n", TraceFormat::kAzureCsv, 2, "is not a time"},
      {"negative.jsonl", "{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1}\n{\"timestamp\": -5, \"input_length\": 1, \"output_length\": 1}\n",
       TraceFormat::kMooncakeJsonl, 2, "non-negative"},
      {"unsorted.jsonl", "{\"timestamp\": 9, \"input_length\": 1, \"output_length\": 1}\n{\"timestamp\": 3, \"input_length\": 1, \"output_length\": 1}\n",
       TraceFormat::kMooncakeJsonl, 2, "must not decrease"},
      {"text.jsonl", "{\"timestamp\": 0, \"input_length\": \"ten\", \"output_length\": 1}\n", TraceFormat::kMooncakeJsonl, 1,
       "'input_length' must be a non-negative integer"},
      {"nokey.jsonl", "{\"timestamp\": 0, \"output_length\": 1}\n", TraceFormat::kMooncakeJsonl, 1, "missing key 'input_length'"},
      {"broken.jsonl", "{\"timestamp\": 0, \n", TraceFormat::kMooncakeJsonl, 1, "not a JSON object"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const auto path = write_temp(c.name, c.text);
    const auto msg = load_error(path, c.format);
    CHECK(msg.starts_with(fmt::format("{}:{}:", path, c.line)));
    CHECK(msg.find(c.message) != std::string::npos);
  }
}

TEST_CASE("a scenario naming a bad trace fails validation with exit code 2") {
  const auto trace = write_temp("cli_bad.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.0,12,x\n");
  const auto yaml = write_temp("cli_bad.yaml", "name: bad\nhorizon: 1h\npool: {servers: 1, service_time: 1s}\n"
                                               "traffic:\n  trace: {format: azure_csv, file: cli_bad.csv}\n");
  const auto err = write_temp("cli_bad.err", "");
  const int status = std::system(fmt::format("'{}' validate '{}' 2> '{}'", CAPSIM_BINARY, yaml, err).c_str());
  CHECK(WEXITSTATUS(status) == 2);
  std::stringstream ss;
  ss << std::ifstream(err).rdbuf();
  CHECK(ss.str().find(trace + ":2:") != std::string::npos);
}

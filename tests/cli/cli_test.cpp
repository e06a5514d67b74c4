// The command line as a user and a CI script see it: exit codes, messages, files, bytes.
#include <catch2/catch.hpp>

#include "cli_helpers.h"

TEST_CASE("--help and --version exit 0, an unknown command exits 2", "[cli]") {
  CHECK(sh("--help").code == 0);
  CHECK(sh("--version").out.find("capsim ") == 0);
  CHECK(sh("run --help").code == 0);
  CHECK(sh("validate --help").code == 0);
  const auto r = sh("frobnicate");
  CHECK(r.code == 2);
  CHECK(r.out.find("unknown command 'frobnicate'") != std::string::npos);
  CHECK(sh("run").code == 2);
  CHECK(sh("run " + kSmall + " --no-such-flag").code == 2);
}

TEST_CASE("validate: a good scenario exits 0, a bad one exits 2 with file:line:col", "[cli]") {
  CHECK(sh("validate " + kSmall).code == 0);
  const auto d = temp_dir("validate");
  std::ofstream(d / "bad.yaml") << "name: bad\nhorizon: 10s\narrivals: {rate: 5/s}\npool:\n  sevrers: 3\n"
                                   "  service_time: {dist: exponential, mean: 1s}\n";
  const auto r = sh("validate " + (d / "bad.yaml").string());
  CHECK(r.code == 2);
  CHECK(r.out.find((d / "bad.yaml").string() + ":5:3: pool.sevrers: unknown key 'sevrers' in pool; did you mean 'servers'?") !=
        std::string::npos);
  CHECK(sh("validate " + (d / "missing.yaml").string()).code == 2);
}

TEST_CASE("run writes report.json and timeseries.csv, same seed gives the same bytes", "[cli]") {
  const auto d = temp_dir("run");
  const auto a = sh("run " + kSmall + kShort + " --deterministic --quiet --out " + (d / "a").string());
  const auto b = sh("run " + kSmall + kShort + " --deterministic --quiet --out " + (d / "b").string());
  REQUIRE(a.code == 0);
  REQUIRE(b.code == 0);
  CHECK(a.out.empty());
  const auto ja = slurp(d / "a" / "report.json");
  CHECK(ja.find("\"rejection_rate\"") != std::string::npos);
  CHECK(ja.find("wall_s") == std::string::npos);
  CHECK(ja == slurp(d / "b" / "report.json"));
  CHECK(slurp(d / "a" / "timeseries.csv") == slurp(d / "b" / "timeseries.csv"));
  CHECK(slurp(d / "a" / "timeseries.csv").rfind("t_s,arrivals,completed,rejected,queue_depth,busy\n", 0) == 0);
  CHECK(slurp(d / "a" / "report.html") == slurp(d / "b" / "report.html"));
  CHECK(slurp(d / "a" / "report.html").find("<svg class=\"chart\"") != std::string::npos);
  // A different seed gives a different report.
  const auto c = sh("run " + kSmall + kShort + " --seed 2 --deterministic --quiet --out " + (d / "c").string());
  REQUIRE(c.code == 0);
  CHECK(slurp(d / "c" / "report.json") != ja);
  // No temporary files are left behind.
  for (const auto& e : fs::directory_iterator(d / "a")) CHECK(e.path().string().find(".tmp") == std::string::npos);
}

TEST_CASE("run prints a summary table, or JSON with --json", "[cli]") {
  const auto d = temp_dir("summary");
  const auto r = sh("run " + kSmall + kShort + " --out " + d.string());
  REQUIRE(r.code == 0);
  CHECK(r.out.find("requests arrived") != std::string::npos);
  CHECK(r.out.find("check: conservation") != std::string::npos);
  const auto j = sh("run " + kSmall + kShort + " --json --out " + d.string());
  REQUIRE(j.code == 0);
  CHECK(j.out.rfind("{", 0) == 0);
}

TEST_CASE("a bad --set exits 2 and names the override", "[cli]") {
  const auto r = sh("run " + kSmall + " --set pool.servers=0 --quiet");
  CHECK(r.code == 2);
  CHECK(r.out.find("--set pool.servers=0: pool.servers: must be at least 1") != std::string::npos);
}

TEST_CASE("run --threads: clusters side by side write the same bytes on 1 and 2 threads", "[cli]") {
  const auto d = temp_dir("threads");
  const std::string s6 = std::string(CAPSIM_SOURCE_DIR) + "/scenarios/seeds/s6-ernie-vs-chatgpt.yaml --set horizon=2h";
  const auto one = sh("run " + s6 + " --threads 1 --deterministic --quiet --out " + (d / "one").string());
  const auto two = sh("run " + s6 + " --threads 2 --deterministic --quiet --out " + (d / "two").string());
  REQUIRE(one.code == 0);
  REQUIRE(two.code == 0);
  const auto j = slurp(d / "one" / "report.json");
  CHECK(j.find("\"partitions\": 2") != std::string::npos);
  CHECK(j == slurp(d / "two" / "report.json"));
  CHECK(slurp(d / "one" / "timeseries.csv") == slurp(d / "two" / "timeseries.csv"));
  CHECK(slurp(d / "one" / "report.html") == slurp(d / "two" / "report.html"));
  CHECK(sh("run " + s6 + " --threads x --quiet --out " + (d / "bad").string()).code == 2);
}

// Sweep grids: --vary parsing, ranges, the order of points.
#include <catch2/catch.hpp>

#include "sim/scenario/node.h"
#include "sim/sweep/grid.h"

using namespace capsim::sweep;

TEST_CASE("vary: lists and ranges", "[sweep]") {
  const Axis a = parse_vary("pool.servers=90,95,100");
  CHECK(a.path == "pool.servers");
  CHECK(a.values == std::vector<std::string>{"90", "95", "100"});
  CHECK(parse_vary("arrivals.rate=80..100:10").values == std::vector<std::string>{"80", "90", "100"});
  CHECK(parse_vary("x=1..4").values == std::vector<std::string>{"1", "2", "3", "4"});
  // Decimal steps do not accumulate rounding error into the text.
  CHECK(parse_vary("x=0.1..0.5:0.1").values == std::vector<std::string>{"0.1", "0.2", "0.3", "0.4", "0.5"});
  // b not on the step grid: stops below it.
  CHECK(parse_vary("x=0..10:4").values == std::vector<std::string>{"0", "4", "8"});
  CHECK(parse_vary("arrivals.rate=28/s,32/s").values == std::vector<std::string>{"28/s", "32/s"});
}

TEST_CASE("vary: bad specs are located usage errors", "[sweep]") {
  for (const char* bad : {"pool.servers", "=1,2", "x=", "x=1,,2", "x=5..1", "x=1..5:0", "x=1..5:-1", "x=a..b"}) {
    INFO(bad);
    try {
      parse_vary(bad);
      FAIL("accepted");
    } catch (const capsim::scenario::ScenarioError& e) {
      CHECK(e.problems().at(0).str().find("--vary") == 0);
    }
  }
}

TEST_CASE("the grid is the cross product, last axis fastest", "[sweep]") {
  const Grid g({parse_vary("a=1,2"), parse_vary("b=x,y,z")});
  REQUIRE(g.size() == 6);
  CHECK(g.point(0) == std::vector<std::string>{"1", "x"});
  CHECK(g.point(2) == std::vector<std::string>{"1", "z"});
  CHECK(g.point(3) == std::vector<std::string>{"2", "x"});
  CHECK(g.overrides(5) == std::vector<std::string>{"a=2", "b=z"});
}

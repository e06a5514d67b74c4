// docs/scenario-reference.md is generated from the readers that validate scenarios; this test
// regenerates it and fails when the committed page is stale. To refresh it:
//   build/capsim reference --write
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "models/reference.h"

using namespace capsim;

TEST_CASE("docs/scenario-reference.md matches the scenario readers", "[reference][docs]") {
  const std::string root = CAPSIM_SOURCE_DIR;
  const auto files = find_scenarios(root + "/scenarios");
  REQUIRE(!files.empty());
  const std::string generated = scenario_reference_markdown(files);
  std::ifstream in(root + "/docs/scenario-reference.md", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  INFO("docs/scenario-reference.md is stale: run `build/capsim reference --write`");
  CHECK(ss.str() == generated);
  // Sanity: the reference knows the keys that every scenario has.
  CHECK(generated.find("| `horizon` | duration |") != std::string::npos);
  CHECK(generated.find("| `pool.servers` | count |") != std::string::npos);
  // Name-keyed mappings are listed once by a placeholder, never by a scenario's own names.
  CHECK(generated.find("| `serving.clusters.<cluster>.latency` | duration |") != std::string::npos);
  CHECK(generated.find("| `serving.tiers.<tier>.priority` | count |") != std::string::npos);
  CHECK(generated.find("| `traffic.tiers[].mix.<class>` | number |") != std::string::npos);
  CHECK(generated.find("| `serving.fallback.<model>` | string |") != std::string::npos);
  CHECK(generated.find("serving.clusters.east") == std::string::npos);
  CHECK(generated.find("serving.tiers.free") == std::string::npos);
  CHECK(generated.find("mix.chat") == std::string::npos);
}

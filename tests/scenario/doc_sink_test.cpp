// The keys a reader documents (the scenario reference): list items as [], and the entries of
// a mapping keyed by names as one <placeholder>, however many entries the scenario has.
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "sim/scenario/node.h"

using namespace capsim::scenario;

namespace {

class Recorder final : public DocSink {
 public:
  void key(const KeyDoc& d) override { keys[d.path] = d; }
  std::map<std::string, KeyDoc> keys;
};

// Reads `regions: {<region>: {servers: N}}` and `jobs: [{name, weight: {<class>: w}}]` as a
// model reader would, with the names it expects.
void read(const Node& root) {
  MapReader top(root, "the test");
  const Node regions = top.child("regions", {"per region"});
  MapReader rr(regions, "servers per region", {"region", "sites[].name"});
  for (const char* name : {"east", "west"}) {
    const Node r = rr.child(name, {"a region's servers"});
    MapReader one(r, "a region");
    (void)one.count("servers", {"servers there"}, Range::at_least(1), 1);
  }
  rr.finish();
  for (const auto& job : top.child("jobs", {"jobs"}, false, "list").items()) {
    MapReader jr(job, "a job");
    (void)jr.string("name", {"its name"});
    MapReader wr(jr.child("weight", {"weight per class"}), "a weight per class", {"class", "classes[].name"});
    for (const char* cls : {"chat", "code"}) (void)wr.number(cls, {"the class's weight"}, Range::non_negative(), 0.0);
  }
}

}  // namespace

TEST_CASE("name-keyed mappings are documented once, with a placeholder", "[scenario][reference]") {
  const auto doc = Document::parse(R"(regions:
  east: {servers: 3}
  west: {servers: 1}
jobs:
  - {name: a, weight: {chat: 1}}
  - {name: b, weight: {code: 2}}
)", "t.yaml");
  Recorder rec;
  const_cast<Document&>(doc).set_doc_sink(&rec);
  read(doc.root());
  CHECK(doc.ok());
  std::string paths;
  for (const auto& [p, d] : rec.keys) paths += p + "\n";
  CHECK(paths ==
        "jobs\n"
        "jobs[].name\n"
        "jobs[].weight\n"
        "jobs[].weight.<class>\n"
        "regions\n"
        "regions.<region>\n"
        "regions.<region>.servers\n");
  const auto& entry = rec.keys.at("regions.<region>");
  CHECK(entry.type == "map");
  CHECK(entry.help == "a region's servers; `<region>` is a name from `sites[].name`");
  CHECK(rec.keys.at("jobs[].weight.<class>").type == "number");
  CHECK(rec.keys.at("regions.<region>.servers").help == "servers there");  // nested keys keep their own help
}

TEST_CASE("a name-keyed mapping still names the real key in its problems", "[scenario][reference]") {
  const auto doc = Document::parse("regions:\n  east: {servers: 0}\n  north: {servers: 2}\n", "t.yaml");
  read(doc.root());
  REQUIRE_THROWS_AS(doc.check(), ScenarioError);
  try {
    doc.check();
  } catch (const ScenarioError& e) {
    REQUIRE(e.problems().size() == 2);
    CHECK(e.problems()[0].str() == "t.yaml:2:19: regions.east.servers: must be at least 1 (got 0)");
    CHECK(e.problems()[1].str() ==
          "t.yaml:3:3: regions.north: unknown key 'north' in servers per region (allowed: east, west)");
  }
}

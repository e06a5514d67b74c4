// Reading the inference keys of a scenario: the shipped scenarios, overrides, and located errors.
#include <catch2/catch.hpp>

#include <filesystem>

#include "models/inference/inference_spec.h"
#include "sim/scenario/run_spec.h"

using namespace capsim;
using namespace capsim::inference;
using Catch::Matchers::Contains;

namespace {

// Reads the run options and the inference keys, as the scenario loader does.
InferenceSpec read(const scenario::Document& doc) {
  doc.check();
  scenario::MapReader top(doc.root(), "the scenario");
  (void)scenario::read_run_spec(top);
  InferenceSpec s = read_inference(top, doc.base_dir());
  top.known("traffic");  // read by the traffic module, not under test here
  top.finish();
  doc.check();
  return s;
}
InferenceSpec parse(const std::string& yaml) { return read(scenario::Document::parse(yaml, "t.yaml")); }

std::string first_problem(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const scenario::ScenarioError& e) {
    return e.problems().front().str();
  }
  return "";
}

const std::string kHead = "name: t\nhorizon: 1h\n";

}  // namespace

TEST_CASE("every scenario under scenarios/inference reads without problems") {
  int n = 0;
  for (const auto& f : std::filesystem::directory_iterator(CAPSIM_SOURCE_DIR "/scenarios/inference")) {
    if (f.path().extension() != ".yaml") continue;
    INFO(f.path().string());
    const InferenceSpec s = read(scenario::Document::load(f.path().string()));
    CHECK(!s.clusters.empty());
    ++n;
  }
  CHECK(n >= 2);
}

TEST_CASE("catalog overrides and extensions") {
  const InferenceSpec s = read(scenario::Document::load(CAPSIM_SOURCE_DIR "/scenarios/inference/catalog_overrides.yaml"));
  REQUIRE(s.gpu_index("h100-nvl") >= 0);
  const GpuSpec& nvl = s.gpus[static_cast<std::size_t>(s.gpu_index("h100-nvl"))];
  CHECK(nvl.hbm_gb == 94);
  CHECK(nvl.bf16_tflops == 989);  // from `like`
  const ModelArch& e = s.models[static_cast<std::size_t>(s.model_index("ernie-like-70b"))];
  CHECK(e.total_params() == Approx(70.55e9).epsilon(0.01));
  CHECK(e.efficiency == 105);
  const ClusterSpec& c = s.clusters.at(0);
  CHECK(c.balancer == Balancer::kPowerOfTwo);
  CHECK(c.replicas.at(0).efficiency.multiplier == 105);
  CHECK(c.replicas.at(2).profile.has_value());
  CHECK(c.replicas.at(2).count == 32 - 16 - 4);  // `unlimited` fills the GPUs left
  CHECK(!c.scheduler.preemption);
  CHECK(s.model_index("tiny-moe") == static_cast<int>(builtin_models().size()) + 1);  // appended
}

TEST_CASE("located errors for bad inference input") {
  const std::string cluster = kHead + "clusters:\n  - name: c\n    gpu: h100-sxm\n    servers: 1\n    replicas:\n";
  CHECK_THAT(first_problem(cluster + "      - {model: llama-3-70b}\n"),
             Contains("t.yaml:8:9") && Contains("does not fit on 1 x h100-sxm"));
  CHECK_THAT(first_problem(cluster + "      - {model: llama-3-8b, count: 9}\n"), Contains("need 9 GPUs; the cluster has 8"));
  CHECK_THAT(first_problem(cluster + "      - {model: llama-9}\n"), Contains("model") && Contains("llama-3-8b"));
  CHECK_THAT(first_problem(kHead + "clusters:\n  - {name: c, gpu: h999, servers: 1, replicas: []}\n"),
             Contains("gpu") && Contains("h100-sxm"));
  CHECK_THAT(first_problem(kHead + "gpus:\n  - {name: new-gpu, hbm_gb: 10}\n"), Contains("bf16_tflops"));
  CHECK_THAT(first_problem(kHead + "models:\n  - {name: llama-3-8b, layer: 3}\n"), Contains("layer"));
  CHECK_THAT(first_problem(cluster + "      - {model: llama-3-8b}\n    scheduler: {max_batch: 512, chunk_size: 256}\n"),
             Contains("chunk_size (256) must be at least max_batch (512)"));
  CHECK_THAT(first_problem(cluster + "      - {model: llama-3-8b}\n    balancer: random\n"), Contains("least_outstanding"));
}

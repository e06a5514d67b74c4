// DecodeRun's closed form against the cost model step by step: each step's time, the run's
// sum, the once-rounded elapsed time against the per-step-rounded one, and the inversion that
// finds the step in progress.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "catalog_lookup.h"
#include "models/inference/decode_run.h"

using namespace capsim;
using namespace capsim::inference;

namespace {

using testing::gpu;
using testing::model;

// A decode-only step from the roofline's terms (or the fitted profile) written out, not through
// the cost model's decode lines.
double model_step(const StepCostModel& m, std::uint32_t seqs, double context, const StepProfile* profile = nullptr) {
  StepShape s;
  s.decode_seqs = seqs;
  s.decode_context = context;
  const Efficiency& e = m.efficiency();
  const double t = profile != nullptr
                       ? profile->intercept_s + profile->per_decode_seq_s * seqs + profile->per_context_token_s * context
                       : std::max(m.compute_seconds(s), m.memory_seconds(s)) + m.comm_seconds(s) + e.step_overhead_s;
  return t / e.multiplier;
}

// The smallest k in [1, end] whose step ends after dt, by walking.
std::int64_t walk_to_pass(const DecodeRun& run, SimTime dt, std::int64_t end) {
  for (std::int64_t k = 1; k < end; ++k) {
    if (run.elapsed(k) > dt) return k;
  }
  return end;
}

void check_run(const StepCostModel& m, std::uint32_t seqs, double context0, std::int64_t steps,
               const StepProfile* profile = nullptr) {
  const DecodeRun run(m, seqs, context0);
  double sum = 0;
  SimTime rounded_each;
  for (std::int64_t k = 0; k < steps; ++k) {
    const double step = model_step(m, seqs, context0 + static_cast<double>(k) * seqs, profile);
    REQUIRE(run.step_seconds(k) == Approx(step).epsilon(1e-12));
    sum += step;
    rounded_each += SimTime::seconds(step);
    REQUIRE(run.sum_seconds(k + 1) == Approx(sum).epsilon(1e-12));
    // Rounding once instead of once a step moves the end by at most half a nanosecond a step.
    const auto drift = std::llabs((run.elapsed(k + 1) - rounded_each).count_ns());
    REQUIRE(static_cast<double>(drift) <= 0.5 * static_cast<double>(k + 1) + 1);
  }
  // The inversion agrees with walking, at step ends (ties), just before and after them, and
  // in between.
  for (std::int64_t k = 0; k <= steps; k += 1 + k / 7) {
    const SimTime at = run.elapsed(k);
    for (const SimTime dt : {at - SimTime::ns(1), at, at + SimTime::ns(1), at + SimTime::us(700)}) {
      if (dt < SimTime::zero()) continue;
      INFO("k " << k << ", dt " << dt.count_ns());
      REQUIRE(run.steps_to_pass(dt, steps) == walk_to_pass(run, dt, steps));
    }
  }
  CHECK(run.steps_to_pass(run.elapsed(steps) + SimTime::sec(1), steps) == steps);
  CHECK(run.steps_to_pass(SimTime::zero(), steps) == 1);
}

}  // namespace

TEST_CASE("a decode run's closed form matches the cost model step by step") {
  const StepCostModel dense(model("llama-2-7b"), gpu("a100-80gb"), {});
  SECTION("memory-bound small batch") { check_run(dense, 4, 4 * 900.0, 600); }
  SECTION("one sequence") { check_run(dense, 1, 17.0, 300); }
  SECTION("compute-bound large batch that turns memory-bound as contexts grow (the knee)") {
    StepShape first, last;
    first.decode_seqs = last.decode_seqs = 256;
    first.decode_context = 256 * 100.0;
    last.decode_context = 256 * (100.0 + 1500);
    REQUIRE(dense.compute_seconds(first) > dense.memory_seconds(first));
    REQUIRE(dense.compute_seconds(last) < dense.memory_seconds(last));
    check_run(dense, 256, 256 * 100.0, 1500);
  }
  SECTION("tensor parallel with all-reduces") {
    const StepCostModel tp(model("llama-2-70b"), gpu("h100-sxm"), {.tensor_parallel = 4});
    check_run(tp, 32, 32 * 2000.0, 400);
  }
  SECTION("mixture of experts") {
    const StepCostModel moe(model("mixtral-8x7b"), gpu("h100-sxm"), {.tensor_parallel = 2});
    check_run(moe, 16, 16 * 500.0, 400);
  }
  SECTION("a serving speed-up divides every step") {
    Efficiency e;
    e.multiplier = 105;
    const StepCostModel fast(model("llama-2-7b"), gpu("a100-80gb"), {}, e);
    check_run(fast, 8, 8 * 300.0, 500);
  }
}

TEST_CASE("a fitted profile: affine runs in closed form, irregular ones step by step") {
  StepCostModel m(model("llama-2-7b"), gpu("a100-80gb"), {});
  SECTION("a regular profile") {
    const StepProfile p{0.004, 1e-5, 2e-5, 3e-8, 0};
    m.use_profile(p);
    check_run(m, 12, 12 * 700.0, 500, &p);
  }
  SECTION("a negative context slope: each step at least a nanosecond") {
    const StepProfile p{0.004, 1e-5, 2e-5, -3e-8, 0};
    m.use_profile(p);
    const DecodeRun run(m, 12, 12 * 700.0);
    CHECK(run.step_seconds(100000) == 1e-9);
    double sum = 0;
    for (std::int64_t k = 0; k < 2000; ++k) sum += std::max(1e-9, model_step(m, 12, 12 * (700.0 + static_cast<double>(k)), &p));
    CHECK(run.sum_seconds(2000) == Approx(sum).epsilon(1e-12));
    for (const std::int64_t k : {1, 5, 300, 1999}) {
      CHECK(run.steps_to_pass(run.elapsed(k), 2000) == walk_to_pass(run, run.elapsed(k), 2000));
    }
  }
}

// Named random streams: golden values and independence.
#include "sim/random/rng.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "sim/random/distribution.h"

using capsim::Distribution;
using capsim::RandomStreams;
using capsim::Rng;

namespace {

std::vector<std::uint64_t> draws(Rng rng, int n) {
  std::vector<std::uint64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(rng());
  return out;
}

}  // namespace

// Pinned once from this implementation. If these change, every scenario's output changes:
// only update them for a deliberate change of the stream derivation, and say so in the log.
TEST_CASE("golden: first draws of a named stream for seed 42, replication 0", "[random][golden]") {
  const RandomStreams streams(42, 0);
  CHECK(streams.seed_for("golden") == 16801014429602371959ULL);
  Rng rng = streams.stream("golden");
  CHECK(rng() == 2424431276218233432ULL);
  CHECK(rng() == 4986969026827994479ULL);
  CHECK(rng() == 12794682757488038546ULL);
}

// Pins Boost's exponential algorithm (ziggurat) too: a Boost upgrade that changed it would
// move every scenario's output and must be noticed. Relative 1e-12 allows for libm's last ulp.
TEST_CASE("golden: first exponential draws for seed 42, replication 0", "[random][golden]") {
  const RandomStreams streams(42, 0);
  Rng rng = streams.stream("golden.exponential");
  const auto d = Distribution::exponential_mean(2.0);
  CHECK(d.sample(rng) == Approx(0.17196330466554718).epsilon(1e-12));
  CHECK(d.sample(rng) == Approx(1.4578075389026846).epsilon(1e-12));
  CHECK(d.sample(rng) == Approx(0.28024156049755022).epsilon(1e-12));
}

TEST_CASE("hash helpers match their published reference values", "[random]") {
  // FNV-1a 64 of "" is the offset basis and of "a" is 0xaf63dc4c8601ec8c.
  STATIC_REQUIRE(capsim::fnv1a64("") == 0xcbf29ce484222325ULL);
  STATIC_REQUIRE(capsim::fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  // splitmix64 seeded with 0: its first output is 0xe220a8397b1dcdaf.
  STATIC_REQUIRE(capsim::splitmix64(0) == 0xe220a8397b1dcdafULL);
}

TEST_CASE("the same (seed, replication, name) gives the same draws", "[random]") {
  const RandomStreams a(7, 3);
  const RandomStreams b(7, 3);
  CHECK(draws(a.stream("traffic"), 100) == draws(b.stream("traffic"), 100));
  CHECK(a.seed_for("traffic") == b.seed_for("traffic"));
  CHECK(a.master_seed() == 7);
  CHECK(a.replication() == 3);
}

TEST_CASE("adding a stream does not change another stream's draws", "[random]") {
  const RandomStreams streams(42, 0);
  const auto alone = draws(streams.stream("cluster.a"), 50);

  // Another component appears, draws a lot, and the first component is created after it.
  Rng other = streams.stream("cluster.b");
  for (int i = 0; i < 10000; ++i) (void)other();
  const auto with_other = draws(streams.stream("cluster.a"), 50);
  CHECK(alone == with_other);

  // A stream is a value: drawing from a copy does not advance the original.
  Rng original = streams.stream("cluster.a");
  Rng copy = original;
  (void)copy();
  CHECK(original() == alone.front());
}

TEST_CASE("different names, replications and seeds give different sequences", "[random]") {
  const RandomStreams r0(42, 0);
  const RandomStreams r1(42, 1);
  const RandomStreams other_seed(43, 0);
  const auto base = draws(r0.stream("x"), 20);
  CHECK(base != draws(r0.stream("y"), 20));
  CHECK(base != draws(r1.stream("x"), 20));
  CHECK(base != draws(other_seed.stream("x"), 20));
  // Seed and replication are not interchangeable.
  CHECK(draws(RandomStreams(1, 2).stream("x"), 20) != draws(RandomStreams(2, 1).stream("x"), 20));
  // The empty name is a name like any other.
  CHECK(draws(r0.stream(""), 20) != base);
}

TEST_CASE("stream seeds do not collide over many names and replications", "[random]") {
  std::set<std::uint64_t> seeds;
  int count = 0;
  for (std::uint64_t rep = 0; rep < 20; ++rep) {
    const RandomStreams streams(42, rep);
    for (int i = 0; i < 2000; ++i) {
      seeds.insert(streams.seed_for("replica" + std::to_string(i)));
      ++count;
    }
  }
  CHECK(seeds.size() == static_cast<std::size_t>(count));
}

TEST_CASE("streams of similar names and of neighbouring replications are uncorrelated",
          "[random]") {
  // Pearson correlation of n paired uniforms has standard error 1/sqrt(n) when independent;
  // 5 standard errors leaves room for any fixed seed to pass by chance only if truly independent.
  constexpr int n = 100000;
  auto correlation = [](Rng a, Rng b) {
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    for (int i = 0; i < n; ++i) {
      const double x = capsim::dist::unit_uniform(a);
      const double y = capsim::dist::unit_uniform(b);
      sa += x;
      sb += y;
      saa += x * x;
      sbb += y * y;
      sab += x * y;
    }
    const double cov = sab / n - (sa / n) * (sb / n);
    const double va = saa / n - (sa / n) * (sa / n);
    const double vb = sbb / n - (sb / n) * (sb / n);
    return cov / std::sqrt(va * vb);
  };
  const double limit = 5.0 / std::sqrt(static_cast<double>(n));
  const RandomStreams r0(42, 0);
  const RandomStreams r1(42, 1);
  CHECK(std::fabs(correlation(r0.stream("replica1"), r0.stream("replica2"))) < limit);
  CHECK(std::fabs(correlation(r0.stream("replica1"), r1.stream("replica1"))) < limit);
}

TEST_CASE("unit_uniform covers 0 <= u < 1 with 53-bit resolution", "[random]") {
  Rng rng = RandomStreams(1, 0).stream("u");
  double lo = 1, hi = 0;
  for (int i = 0; i < 100000; ++i) {
    const double u = capsim::dist::unit_uniform(rng);
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    lo = std::min(lo, u);
    hi = std::max(hi, u);
  }
  CHECK(lo < 1e-4);
  CHECK(hi > 1 - 1e-4);
}

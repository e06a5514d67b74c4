#include "sim/random/rng.h"

#include <array>
#include <boost/random/seed_seq.hpp>

namespace capsim {

// For a fixed master seed, distinct replications give distinct bases (splitmix64 is a bijection
// and the addition is injective), and for a fixed base distinct name hashes give distinct seeds.
RandomStreams::RandomStreams(std::uint64_t master_seed, std::uint64_t replication)
    : master_seed_(master_seed),
      replication_(replication),
      base_(splitmix64(splitmix64(master_seed) + replication)) {}

std::uint64_t RandomStreams::seed_for(std::string_view name) const {
  // The extra splitmix64 on the FNV hash spreads the few bits in which similar names
  // ("replica1", "replica2") differ over the whole word before it meets the base.
  return splitmix64(base_ ^ splitmix64(fnv1a64(name)));
}

Rng RandomStreams::stream(std::string_view name) const {
  // Seeding the Mersenne Twister's 312-word state from a single integer leaves nearby seeds
  // with correlated early output; seed_seq spreads four words of the seed over the whole state.
  const std::uint64_t s = seed_for(name);
  const std::uint64_t t = splitmix64(s);
  const std::array<std::uint32_t, 4> words{
      static_cast<std::uint32_t>(s), static_cast<std::uint32_t>(s >> 32),
      static_cast<std::uint32_t>(t), static_cast<std::uint32_t>(t >> 32)};
  boost::random::seed_seq seq(words.begin(), words.end());
  return Rng(seq);
}

}  // namespace capsim

#pragma once
// What every subcommand shares: option parsing that turns mistakes into exit code 2, help
// output, and the options common to the commands that run replications.
#include <boost/program_options.hpp>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/cli/commands.h"
#include "sim/sweep/runner.h"

namespace capsim::cli {

namespace po = boost::program_options;

/// Bad command-line usage: exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

po::variables_map parse_args(const Args& args, const po::options_description& opts,
                             const po::positional_options_description& pos);
void print_help(const char* usage, const po::options_description& opts);

/// The values of a repeatable string option (empty when absent).
std::vector<std::string> strings(const po::variables_map& vm, const char* name);

/// --replications, --jobs, --seed, --set, --metric, --quiet, --json: for sweep, compare, size, baseline.
void add_replication_options(po::options_description& opts, std::size_t default_replications);

struct ReplicationOptions {
  std::size_t replications = 1;
  unsigned jobs = 1;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> sets;
  std::vector<std::string> metrics;  ///< headline metrics plus each --metric
  bool quiet = false;
  bool json = false;
};
ReplicationOptions replication_options(const po::variables_map& vm);

/// A run plan with these options and no points yet.
sweep::RunPlan run_plan(const ReplicationOptions& o);

}  // namespace capsim::cli

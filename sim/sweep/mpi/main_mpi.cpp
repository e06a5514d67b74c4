// capsim's entry point when built with MPI: under mpirun the ranks share a sweep; started
// any other way it behaves exactly like the plain build.
#include <optional>

#include "sim/cli/commands.h"
#include "sim/sweep/mpi/mpi_group.h"

int main(int argc, char** argv) {
  std::optional<capsim::sweep::MpiGroup> group;
  if (capsim::sweep::MpiGroup::launched_by_mpirun()) group.emplace(&argc, &argv);
  return capsim::cli::dispatch(argc, argv, group ? &*group : nullptr);
}

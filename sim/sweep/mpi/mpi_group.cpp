#include "sim/sweep/mpi/mpi_group.h"

#include <chrono>
#include <cstdlib>
#include <mpi.h>
#include <stdexcept>
#include <thread>

namespace capsim::sweep {

MpiGroup::MpiGroup(int* argc, char*** argv) {
  int provided = 0;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    throw std::runtime_error("MPI_Init_thread failed");
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiGroup::~MpiGroup() { MPI_Finalize(); }

bool MpiGroup::launched_by_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMI_SIZE") != nullptr ||
         std::getenv("PMIX_RANK") != nullptr;
}

std::vector<std::vector<double>> MpiGroup::gather(const std::vector<double>& mine) {
  // Ranks that finish early wait here, sleeping, rather than spinning inside MPI_Gather and
  // taking a core from the ranks still running.
  MPI_Request all_done = MPI_REQUEST_NULL;
  MPI_Ibarrier(MPI_COMM_WORLD, &all_done);
  for (int flag = 0;;) {
    MPI_Test(&all_done, &flag, MPI_STATUS_IGNORE);
    if (flag) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const int n = static_cast<int>(mine.size());
  std::vector<int> counts(static_cast<std::size_t>(size_), 0), offsets(static_cast<std::size_t>(size_), 0);
  MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<double> all;
  if (rank_ == 0) {
    int total = 0;
    for (std::size_t r = 0; r < counts.size(); ++r) {
      offsets[r] = total;
      total += counts[r];
    }
    all.resize(static_cast<std::size_t>(total));
  }
  MPI_Gatherv(mine.data(), n, MPI_DOUBLE, all.data(), counts.data(), offsets.data(), MPI_DOUBLE, 0, MPI_COMM_WORLD);
  std::vector<std::vector<double>> out;
  if (rank_ != 0) return out;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    out.emplace_back(all.begin() + offsets[r], all.begin() + offsets[r] + counts[r]);
  }
  return out;
}

}  // namespace capsim::sweep

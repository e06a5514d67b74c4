#pragma once
// The ranks of an MPI job as a sweep::ProcessGroup. Built only when CMake finds MPI.
#include "sim/sweep/process_group.h"

namespace capsim::sweep {

class MpiGroup final : public ProcessGroup {
 public:
  /// Initialises MPI; finalises it on destruction.
  MpiGroup(int* argc, char*** argv);
  ~MpiGroup() override;
  MpiGroup(const MpiGroup&) = delete;
  MpiGroup& operator=(const MpiGroup&) = delete;
  [[nodiscard]] int rank() const override { return rank_; }
  [[nodiscard]] int size() const override { return size_; }
  std::vector<std::vector<double>> gather(const std::vector<double>& mine) override;

  /// True when this process was started by mpirun/mpiexec (so that a plain `capsim` never
  /// initialises MPI).
  static bool launched_by_mpirun();

 private:
  int rank_ = 0, size_ = 1;
};

}  // namespace capsim::sweep

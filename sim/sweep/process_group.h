#pragma once
// The processes that share a sweep: one process alone, or the ranks of an MPI job. Each
// process runs the tasks whose index modulo size() equals rank(); rank 0 gathers the results
// and writes the files.
#include <vector>

namespace capsim::sweep {

class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  [[nodiscard]] virtual int rank() const = 0;
  [[nodiscard]] virtual int size() const = 0;
  /// Every rank's `mine`, indexed by rank, on rank 0; an empty list elsewhere.
  virtual std::vector<std::vector<double>> gather(const std::vector<double>& mine) = 0;
};

}  // namespace capsim::sweep

#pragma once
// Accelerators and the servers that hold them. Figures are vendor datasheet values; the source
// of each is listed in docs/inference.md (weakly sourced ones are marked there and in `note`).
#include <string>
#include <vector>

namespace capsim::inference {

struct GpuSpec {
  std::string name;
  double bf16_tflops = 0;      ///< dense BF16/FP16 tensor throughput, TFLOP/s
  double fp8_tflops = 0;       ///< dense FP8 tensor throughput; 0 when the part has none
  double hbm_gb = 0;           ///< device memory, GB (1e9 bytes)
  double hbm_tb_s = 0;         ///< device memory bandwidth, TB/s
  double link_gb_s = 0;        ///< GPU-to-GPU bandwidth per GPU, GB/s, both directions together
  double tdp_w = 0;            ///< board power limit, W
  int gpus_per_server = 8;     ///< GPUs in the reference server
  double server_kw = 0;        ///< reference server's maximum power, kW
  std::string note;            ///< provenance remark (e.g. "weakly sourced")
};

/// The built-in catalog: A100 40GB/80GB, H100 SXM, H200, H20, L40S, B200, Ascend 910B.
std::vector<GpuSpec> builtin_gpus();

}  // namespace capsim::inference

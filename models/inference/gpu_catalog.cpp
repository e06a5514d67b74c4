#include "models/inference/gpu_catalog.h"

namespace capsim::inference {

std::vector<GpuSpec> builtin_gpus() {
  // name, bf16, fp8, hbm GB, TB/s, link GB/s, TDP W, GPUs/server, server kW, note
  return {
      {"a100-40gb", 312, 0, 40, 1.555, 600, 400, 8, 6.5, ""},
      {"a100-80gb", 312, 0, 80, 2.039, 600, 400, 8, 6.5, ""},
      {"h100-sxm", 989, 1979, 80, 3.35, 900, 700, 8, 10.2, ""},
      {"h200", 989, 1979, 141, 4.8, 900, 700, 8, 10.2, ""},
      {"h20", 148, 296, 96, 4.0, 900, 400, 8, 6.5, "weakly sourced: no public datasheet; press reports"},
      {"l40s", 362, 733, 48, 0.864, 64, 350, 8, 5.0, "PCIe Gen4 x16, no NVLink; server power is an estimate"},
      {"b200", 2250, 4500, 180, 8.0, 1800, 1000, 8, 14.3, ""},
      {"ascend-910b", 320, 0, 64, 1.6, 392, 400, 8, 5.6, "weakly sourced: press and third-party reports"},
  };
}

}  // namespace capsim::inference

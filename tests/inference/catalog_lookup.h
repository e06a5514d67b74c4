#pragma once
// Built-in catalog entries by name, for tests.
#include <stdexcept>
#include <string>

#include "models/inference/gpu_catalog.h"
#include "models/inference/model_catalog.h"

namespace capsim::inference::testing {

inline ModelArch model(const std::string& name) {
  for (const auto& m : builtin_models()) {
    if (m.name == name) return m;
  }
  throw std::runtime_error("no model " + name);
}

inline GpuSpec gpu(const std::string& name) {
  for (const auto& g : builtin_gpus()) {
    if (g.name == name) return g;
  }
  throw std::runtime_error("no gpu " + name);
}

}  // namespace capsim::inference::testing

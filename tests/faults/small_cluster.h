#pragma once
// A scenario of one small Llama-3-8B cluster on H100 fed by one request class, for the fault tests.
#include <string>

namespace capsim::test {

/// `run` holds the run keys (horizon, report...), `rate` the requests per unit time, `cluster`
/// the cluster's own keys after its name and GPU type (indented by four spaces).
inline std::string small_cluster(const std::string& run, const std::string& rate, const std::string& cluster) {
  return "name: t\n" + run + R"(
traffic:
  classes:
    - {name: chat, input_tokens: 200, output_tokens: 50, model: llama-3-8b}
  tiers:
    - {name: api, rate: )" + rate + R"(, mix: {chat: 1}}
clusters:
  - name: a
    gpu: h100-sxm
)" + cluster + R"(    replicas:
      - {model: llama-3-8b, tensor_parallel: 1, count: unlimited}
)";
}

}  // namespace capsim::test

#pragma once
// Recorded request traces: the Azure LLM inference CSV (`TIMESTAMP,ContextTokens,
// GeneratedTokens`) and Mooncake JSON lines (`timestamp` in ms, `input_length`,
// `output_length`, `hash_ids`). A bad row throws scenario::ScenarioError located at
// `file:line:col`.
#include <cstdint>
#include <string>
#include <vector>

namespace capsim {

enum class TraceFormat { kAzureCsv, kMooncakeJsonl };

/// A loaded trace, one entry per record, times relative to the first record.
struct Trace {
  std::vector<std::int64_t> t_ns;             ///< arrival, ns after the first record (sorted)
  std::vector<std::uint32_t> input_tokens;
  std::vector<std::uint32_t> output_tokens;
  std::vector<std::uint32_t> prefix_begin;    ///< first entry in `blocks` (Mooncake only)
  std::vector<std::uint16_t> prefix_blocks;   ///< number of prefix blocks (Mooncake only)
  std::vector<std::uint32_t> blocks;          ///< the block table: hash ids of 512-token prefix blocks

  [[nodiscard]] std::size_t size() const { return t_ns.size(); }
};

/// Loads a trace file; throws scenario::ScenarioError on the first bad row.
Trace load_trace(const std::string& path, TraceFormat format);

}  // namespace capsim

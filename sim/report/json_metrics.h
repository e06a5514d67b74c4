#pragma once
// Reading report.json as a flat list of numeric metrics named by dotted paths
// ("latency_s.e2e.p99"). Used by the HTML report's tables, sweeps and `capsim check`.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/report/report.h"

namespace capsim {

/// A metric's dotted path and value.
using NamedValue = std::pair<std::string, double>;

/// Every number (and boolean, as 0 or 1) under `j`, in document order, named by its dotted
/// path below `j` (prefixed with `prefix.` when a prefix is given). Arrays are skipped.
std::vector<NamedValue> numeric_leaves(const Json& j, const std::string& prefix = "");

/// The number at a dotted path, or nothing when absent or not a number (booleans count as 0/1).
std::optional<double> number_at(const Json& j, std::string_view dotted);

/// Sets the number at a dotted path, creating objects on the way.
void set_number_at(Json& j, std::string_view dotted, double v);

}  // namespace capsim

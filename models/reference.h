#pragma once
// The scenario reference (docs/scenario-reference.md), generated from the same reading code
// that validates scenarios: every key that any of the given scenarios makes the loader read,
// with its type, unit, default, allowed values and help text. Because it comes from the
// readers themselves it cannot drift from what capsim accepts.
#include <string>
#include <vector>

namespace capsim {

/// Markdown for the keys read while loading `scenario_files` (sorted by path).
std::string scenario_reference_markdown(const std::vector<std::string>& scenario_files);

/// Every *.yaml under `dir`, recursively, sorted (the bundled scenarios).
std::vector<std::string> find_scenarios(const std::string& dir);

}  // namespace capsim

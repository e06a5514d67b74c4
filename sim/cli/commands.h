#pragma once
// The capsim subcommands. Each takes its own arguments (after the subcommand name) and
// returns the process exit code: 0 ok, 1 check failed, 2 usage or scenario error, 3 run failed.
#include <string>
#include <vector>

namespace capsim::sweep {
class ProcessGroup;
}

namespace capsim::cli {

using Args = std::vector<std::string>;

int cmd_run(const Args& args);
int cmd_validate(const Args& args);
/// `group`: the MPI ranks sharing the sweep, or nullptr for one process.
int cmd_sweep(const Args& args, sweep::ProcessGroup* group);
int cmd_merge(const Args& args);
int cmd_compare(const Args& args);
int cmd_size(const Args& args);
int cmd_check(const Args& args);
int cmd_baseline(const Args& args);
/// Prints or writes docs/scenario-reference.md (models/reference.h).
int cmd_reference(const Args& args);

/// Runs a subcommand by name, turning exceptions into messages and exit codes. Under MPI,
/// `group` holds the ranks; every command but sweep runs on rank 0 only.
int dispatch(int argc, char** argv, sweep::ProcessGroup* group = nullptr);

}  // namespace capsim::cli

#pragma once
// The capsim subcommands. Each takes its own arguments (after the subcommand name) and
// returns the process exit code: 0 ok, 1 check failed, 2 usage or scenario error, 3 run failed.
#include <string>
#include <vector>

namespace capsim::cli {

using Args = std::vector<std::string>;

int cmd_run(const Args& args);
int cmd_validate(const Args& args);

/// Runs a subcommand by name, turning exceptions into messages and exit codes.
int dispatch(int argc, char** argv);

}  // namespace capsim::cli

#include "sim/cli/commands.h"

int main(int argc, char** argv) { return capsim::cli::dispatch(argc, argv); }

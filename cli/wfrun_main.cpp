// The stock wfrun program: the whole command line (wfrun::run_cli) with the builtin steps and
// the tutorial's steps, built the way a project with its own steps builds its program.
#include <wfrun/cli.hpp>

#include "tutorial_steps.hpp"

int main(int argc, char** argv) {
    return wfrun::run_cli(argc, argv, tutorial::register_steps);
}

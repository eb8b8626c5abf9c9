// The mailbox project's program: every command of wfrun, with the builtin steps and the
// project's own.
#include <wfrun/cli.hpp>

#include "mailbox_steps.hpp"

int main(int argc, char** argv) {
    return wfrun::run_cli(argc, argv, mailbox::register_steps);
}

// The wfrun subcommands, one function each; main.cpp wires them to the command line.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "cli/app.hpp"

namespace wfrun::cli {

struct start_args {
    std::string workflow;
    std::optional<std::string> input;
    bool json = false;
    bool interactive = false;          // ask on the terminal even when standard input is not one
    std::optional<std::string> batch;  // a JSON Lines file of inputs, or - for standard input
    bool no_group_commit = false;
    std::size_t group_size = 64;
    std::size_t group_window_ms = 100;
};
// With `batch`: one process per line, a progress line on a terminal, a summary at the end.
int cmd_start(app& a, const start_args& args);
int cmd_form(app& a, const std::string& workflow, const std::optional<std::string>& input);
int cmd_show(app& a, const std::string& pid, bool json);
int cmd_ps(app& a, const std::optional<std::string>& status,
           const std::optional<std::string>& workflow, bool json);
int cmd_abort(app& a, const std::string& pid, bool json);

struct resume_args {
    std::string pid;
    std::optional<std::string> input;
    bool due = false;  // every waiting process whose next attempt is due, every timed-out wait
    bool json = false;
    bool interactive = false;
};
int cmd_resume(app& a, const resume_args& args);
// `wfrun engine pause|resume|status`
int cmd_engine(app& a, const std::string& action, bool json);

int cmd_products(app& a, bool json);
int cmd_lint(app& a, const std::vector<std::string>& paths, bool json);

int cmd_subscriptions(app& a, const std::optional<std::string>& type,
                      const std::optional<std::string>& status, bool json);
int cmd_subscription(app& a, const std::string& id, bool json);
int cmd_workflows(app& a, const std::string& id, bool json);
int cmd_set_in_sync(app& a, const std::string& id);

}  // namespace wfrun::cli

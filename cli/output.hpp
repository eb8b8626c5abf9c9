// Printing for people and for scripts: aligned tables (colour only on a terminal), and the
// JSON shapes of orchestrator-core's REST API for processes, subscriptions and products.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "interpreter/engine/engine.hpp"
#include "interpreter/store/store.hpp"

namespace wfrun::cli {

bool stdout_is_terminal();
bool stdin_is_terminal();
bool stderr_is_terminal();

// A status coloured for a terminal: green for success/completed, red for failed, ...
std::string paint_status(std::string_view status);
inline std::string paint_status(process_status s) { return paint_status(to_string(s)); }
inline std::string paint_status(step_status s) { return paint_status(to_string(s)); }
std::string bold(const std::string& text);

// Prints rows as columns aligned to the widest cell; the first row is the header.
void print_table(const std::vector<std::vector<std::string>>& rows);

// `wfrun show --json`: the shape of GET /api/processes/{pid}.
json process_json(engine& eng, const process_row& p, bool with_steps);
json subscription_row_json(const subscription_row& s);
json product_json(const product_row& p);

// The keys of `now` whose values differ from `before`, recursing into objects.
json state_delta(const json& before, const json& now);

// One line per step as a process runs.
void print_step(const step_row& row);

// Each field's error, one per line, on standard error.
void print_field_errors(const std::vector<field_error>& errors);

}  // namespace wfrun::cli

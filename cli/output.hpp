// Printing for people: aligned tables, colour only on a terminal. The JSON that scripts get is
// built by the service layer (interpreter/service/shapes.hpp).
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
inline std::string paint_status(process_status s) {
    return paint_status(to_string(s));
}
inline std::string paint_status(step_status s) {
    return paint_status(to_string(s));
}
std::string bold(const std::string& text);

// Prints rows as columns aligned to the widest cell; the first row is the header.
void print_table(const std::vector<std::vector<std::string>>& rows);

// One line per step as a process runs.
void print_step(const step_row& row);

// Each field's error, one per line, on standard error.
void print_field_errors(const std::vector<field_error>& errors);

}  // namespace wfrun::cli

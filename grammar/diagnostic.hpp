// One diagnostic type for every problem found in `.wf` files, from a syntax error to a lint
// warning, so that all of them print alike: `file:line:col: error[CODE]: message`.
#pragma once

#include <string>
#include <vector>

#include "grammar/ast.hpp"

namespace wfrun {

enum class severity { error, warning };

struct diagnostic {
    ast::position pos;
    severity level = severity::error;
    std::string code;     // E001 for syntax errors; see docs/lint-codes.md
    std::string message;  // one line, no trailing period needed
};

// `file:line:col: error[CODE]: message`
std::string format_diagnostic(const diagnostic& d);

bool has_errors(const std::vector<diagnostic>& ds);

// Sorts by file, line, column, keeping the order of equal positions.
void sort_diagnostics(std::vector<diagnostic>& ds);

}  // namespace wfrun

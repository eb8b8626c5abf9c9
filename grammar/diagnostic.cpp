// Printing and ordering diagnostics; every pass reports through these, so syntax errors and
// lint findings look the same on the terminal.
#include "grammar/diagnostic.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

namespace wfrun {

std::string format_diagnostic(const diagnostic& d) {
    return fmt::format("{}:{}:{}: {}[{}]: {}", d.pos.file_name(), d.pos.line, d.pos.column,
                       d.level == severity::error ? "error" : "warning", d.code, d.message);
}

bool has_errors(const std::vector<diagnostic>& ds) {
    return std::any_of(ds.begin(), ds.end(),
                       [](const diagnostic& d) { return d.level == severity::error; });
}

void sort_diagnostics(std::vector<diagnostic>& ds) {
    std::stable_sort(ds.begin(), ds.end(), [](const diagnostic& a, const diagnostic& b) {
        return std::forward_as_tuple(a.pos.file_name(), a.pos.line, a.pos.column) <
               std::forward_as_tuple(b.pos.file_name(), b.pos.line, b.pos.column);
    });
}

}  // namespace wfrun

// Printing for people: aligned tables, colour on a terminal, step lines, field errors.
#include "cli/output.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <fmt/format.h>

namespace wfrun::cli {

bool stdout_is_terminal() {
    return isatty(STDOUT_FILENO) != 0;
}
bool stdin_is_terminal() {
    return isatty(STDIN_FILENO) != 0;
}
bool stderr_is_terminal() {
    return isatty(STDERR_FILENO) != 0;
}

namespace {

bool use_colour() {
    static const bool colour = stdout_is_terminal() && !std::getenv("NO_COLOR");
    return colour;
}

std::string paint(const std::string& text, const char* code) {
    return use_colour() ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : text;
}

// Display width of UTF-8 text: code points, not bytes.
std::size_t width(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xc0) != 0x80) ++n;
    return n;
}

}  // namespace

std::string paint_status(std::string_view text) {
    const std::string status(text);
    if (status == "success" || status == "completed" || status == "complete" || status == "active")
        return paint(status, "32");
    if (status == "failed" || status == "aborted" || status == "abort") return paint(status, "31");
    if (status == "waiting" || status == "suspended" || status == "suspend" || status == "running")
        return paint(status, "33");
    if (status == "skipped" || status == "pending" || status == "terminated")
        return paint(status, "2");
    return status;
}

std::string bold(const std::string& text) {
    return paint(text, "1");
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths;
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i) {
            if (widths.size() <= i) widths.push_back(0);
            widths[i] = std::max(widths[i], width(r[i]));
        }
    for (std::size_t n = 0; n < rows.size(); ++n) {
        std::string line;
        for (std::size_t i = 0; i < rows[n].size(); ++i) {
            const auto& cell = rows[n][i];
            std::string shown = n == 0 ? bold(cell) : cell;
            line += shown;
            if (i + 1 < rows[n].size()) line += std::string(widths[i] - width(cell) + 2, ' ');
        }
        std::cout << line << '\n';
    }
}

void print_step(const step_row& row) {
    const std::string status(to_string(row.status));
    std::string padded = status + std::string(status.size() < 9 ? 9 - status.size() : 0, ' ');
    std::cout << "  " << paint_status(status) << padded.substr(status.size()) << " " << row.name;
    if (row.status == step_status::failed || row.status == step_status::waiting)
        if (row.state.is_object() && row.state.contains("error"))
            std::cout << ": " << row.state["error"].get<std::string>();
    std::cout << std::endl;
}

void print_field_errors(const std::vector<field_error>& errors) {
    for (const auto& e : errors) std::cerr << fmt::format("{}: {}\n", e.field, e.message);
}

}  // namespace wfrun::cli

// Commands on the catalog: products and lint. On a terminal, lint prints each diagnostic with
// its source line and a caret under the column, as compilers do.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/output.hpp"

namespace wfrun::cli {

int cmd_products(app& a, bool as_json) {
    if (!a.open(access::read)) return exit_usage;
    auto products = service::products(*a.runtime);
    if (as_json) {
        std::cout << products.dump(2) << '\n';
        return exit_ok;
    }
    std::vector<std::vector<std::string>> rows{
        {"PRODUCT", "NAME", "TYPE", "TAG", "STATUS", "WORKFLOWS"}};
    for (const auto& p : products) {
        std::string workflows;
        for (const auto& w : p["workflows"])
            workflows += (workflows.empty() ? "" : ", ") + w.get<std::string>();
        rows.push_back(
            {p["product_id"], p["name"], p["product_type"], p["tag"], p["status"], workflows});
    }
    print_table(rows);
    return exit_ok;
}

namespace {

// The lines of each file a diagnostic points into, read once.
class source_lines {
  public:
    const std::string* line(const std::string& file, std::size_t n) {
        auto it = files_.find(file);
        if (it == files_.end()) {
            std::vector<std::string> lines;
            std::ifstream in(file, std::ios::binary);
            for (std::string text; std::getline(in, text);) {
                if (!text.empty() && text.back() == '\r') text.pop_back();
                lines.push_back(std::move(text));
            }
            it = files_.emplace(file, std::move(lines)).first;
        }
        if (n == 0 || n > it->second.size()) return nullptr;
        return &it->second[n - 1];
    }

  private:
    std::map<std::string, std::vector<std::string>> files_;
};

// The caret line under `text` for a 1-based byte column: tabs are kept so that the caret lines
// up, other characters become one space per code point.
std::string caret_line(const std::string& text, std::size_t column) {
    std::string out;
    for (std::size_t i = 0; i + 1 < column && i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c == '\t')
            out += '\t';
        else if ((c & 0xc0) != 0x80)
            out += ' ';
    }
    return out + '^';
}

void print_diagnostic(const diagnostic& d, source_lines* sources, bool colour) {
    if (!colour) {
        std::cout << format_diagnostic(d) << '\n';
    } else {
        bool error = d.level == severity::error;
        std::cout << fmt::format(
            "\x1b[1m{}:{}:{}:\x1b[0m \x1b[1;{}m{}[{}]\x1b[0m: \x1b[1m{}\x1b[0m\n",
            d.pos.file_name(), d.pos.line, d.pos.column, error ? "31" : "33",
            error ? "error" : "warning", d.code, d.message);
    }
    if (!sources) return;
    const auto* text = sources->line(d.pos.file_name(), d.pos.line);
    if (!text) return;
    std::cout << *text << '\n';
    auto caret = caret_line(*text, d.pos.column);
    if (colour) caret = fmt::format("{}\x1b[1;32m^\x1b[0m", caret.substr(0, caret.size() - 1));
    std::cout << caret << '\n';
}

}  // namespace

int cmd_lint(app& a, const std::vector<std::string>& paths, bool as_json) {
    auto result =
        service::lint(a.steps, paths.empty() ? std::vector<std::string>{a.workflows} : paths);
    if (as_json) {
        std::cout << service::diagnostics_json(result.diagnostics).dump(2) << '\n';
    } else {
        // Source lines and colour are for people at a terminal; pipes get one line each.
        const bool terminal = stdout_is_terminal();
        const bool colour = terminal && !std::getenv("NO_COLOR");
        source_lines sources;
        for (const auto& d : result.diagnostics)
            print_diagnostic(d, terminal ? &sources : nullptr, colour);
        std::size_t errors = 0, warnings = 0;
        for (const auto& d : result.diagnostics) (d.level == severity::error ? errors : warnings)++;
        std::cerr << fmt::format("{} file{}: {} error{}, {} warning{}\n", result.files,
                                 result.files == 1 ? "" : "s", errors, errors == 1 ? "" : "s",
                                 warnings, warnings == 1 ? "" : "s");
    }
    return result.ok() ? exit_ok : exit_stopped;
}

}  // namespace wfrun::cli

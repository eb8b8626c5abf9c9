// Commands on the catalog: products and lint.
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/output.hpp"

namespace wfrun::cli {

int cmd_products(app& a, bool as_json) {
    if (!a.open()) return exit_usage;
    auto products = a.db_store->products();
    if (as_json) {
        json out = json::array();
        for (const auto& p : products) {
            auto j = product_json(p);
            j["workflows"] = a.db_store->product_workflows(p.product_id);
            out.push_back(std::move(j));
        }
        std::cout << out.dump(2) << '\n';
        return exit_ok;
    }
    std::vector<std::vector<std::string>> rows{{"PRODUCT", "NAME", "TYPE", "TAG", "STATUS", "WORKFLOWS"}};
    for (const auto& p : products) {
        std::string workflows;
        for (const auto& w : a.db_store->product_workflows(p.product_id))
            workflows += (workflows.empty() ? "" : ", ") + w;
        rows.push_back({p.product_id, p.name, p.product_type, p.tag, p.status, workflows});
    }
    print_table(rows);
    return exit_ok;
}

int cmd_lint(app& a, const std::vector<std::string>& paths, bool as_json) {
    auto cat = load_catalog(paths.empty() ? std::vector<std::string>{a.workflows} : paths, a.steps);
    if (as_json) {
        json out = json::array();
        for (const auto& d : cat->diagnostics)
            out.push_back({{"file", d.pos.file_name()},
                           {"line", d.pos.line},
                           {"column", d.pos.column},
                           {"severity", d.level == severity::error ? "error" : "warning"},
                           {"code", d.code},
                           {"message", d.message}});
        std::cout << out.dump(2) << '\n';
    } else {
        for (const auto& d : cat->diagnostics) std::cout << format_diagnostic(d) << '\n';
        std::size_t errors = 0, warnings = 0;
        for (const auto& d : cat->diagnostics) (d.level == severity::error ? errors : warnings)++;
        std::cerr << fmt::format("{} file{}: {} error{}, {} warning{}\n", cat->files.size(),
                                 cat->files.size() == 1 ? "" : "s", errors, errors == 1 ? "" : "s",
                                 warnings, warnings == 1 ? "" : "s");
    }
    return cat->ok() ? exit_ok : exit_stopped;
}

}  // namespace wfrun::cli

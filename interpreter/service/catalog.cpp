// Service operations on the catalog: the products with their workflows, and lint.
#include <fmt/format.h>

#include "interpreter/plan/graph.hpp"
#include "interpreter/service/service.hpp"
#include "interpreter/util/util.hpp"

namespace wfrun::service {

namespace {

json product_with_workflows(store& st, const product_row& p) {
    auto j = product_json(p);
    j["workflows"] = st.product_workflows(p.product_id);
    return j;
}

}  // namespace

error unknown_workflow(const catalog& cat, const std::string& workflow) {
    std::vector<std::string> names;
    for (const auto& [name, decl] : cat.workflows) names.push_back(name);
    auto best = closest_name(workflow, names);
    return error(error_kind::not_found,
                 fmt::format("unknown workflow '{}'{}", workflow,
                             best.empty() ? "" : fmt::format("; did you mean '{}'?", best)));
}

json products(runtime& rt) {
    auto& st = rt.storage();
    json out = json::array();
    for (const auto& p : st.products()) out.push_back(product_with_workflows(st, p));
    return out;
}

json product(runtime& rt, const std::string& product_id) {
    auto& st = rt.storage();
    auto p = st.product(product_id);
    if (!p) throw error(error_kind::not_found, fmt::format("Product id {} not found", product_id));
    return product_with_workflows(st, *p);
}

lint_result lint(const registry& steps, const std::vector<std::string>& paths) {
    auto cat = load_catalog(paths, steps);
    return {cat->files.size(), std::move(cat->diagnostics)};
}

std::string workflow_graph(const catalog& cat, const registry& steps, const std::string& workflow,
                           const std::string& format) {
    auto f = parse_graph_format(format);
    if (!f)
        throw error(error_kind::invalid_input,
                    fmt::format("unknown format '{}': use dot or mermaid", format));
    if (!cat.workflows.count(workflow)) throw unknown_workflow(cat, workflow);
    return render_graph(cat, steps, workflow, *f);
}

json diagnostics_json(const std::vector<diagnostic>& diagnostics) {
    json out = json::array();
    for (const auto& d : diagnostics)
        out.push_back({{"file", d.pos.file_name()},
                       {"line", d.pos.line},
                       {"column", d.pos.column},
                       {"severity", d.level == severity::error ? "error" : "warning"},
                       {"code", d.code},
                       {"message", d.message}});
    return out;
}

}  // namespace wfrun::service

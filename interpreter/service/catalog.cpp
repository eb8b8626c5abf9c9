// Service operations on the catalog: the products with their workflows, and lint.
#include <fmt/format.h>

#include "interpreter/service/service.hpp"

namespace wfrun::service {

namespace {

json product_with_workflows(store& st, const product_row& p) {
    auto j = product_json(p);
    j["workflows"] = st.product_workflows(p.product_id);
    return j;
}

}  // namespace

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

// Loading a catalog: find the `.wf` files, parse each, index the declarations by name (a
// duplicate is an error naming both places), then run the later passes in pipeline order.
#include "interpreter/catalog/catalog.hpp"
#include "interpreter/catalog/wf_files.hpp"

#include <algorithm>
#include <filesystem>
#include <string_view>

#include <fmt/format.h>

#include "grammar/parse.hpp"

namespace wfrun {

namespace fs = std::filesystem;

const workflow_plan* catalog::plan(const std::string& workflow) const {
    auto it = plans.find(workflow);
    return it == plans.end() ? nullptr : &it->second;
}

std::vector<std::string> catalog::product_types() const {
    std::vector<std::string> out;
    for (const auto& p : model.products)
        if (std::find(out.begin(), out.end(), p.type) == out.end()) out.push_back(p.type);
    return out;
}

std::string property_text(const std::vector<ast::property>& props, const std::string& key) {
    const auto* p = ast::find_property(props, key);
    if (!p || p->values.empty()) return {};
    return p->values.front().text;
}

std::vector<std::string> wf_files_in(const std::string& folder) {
    std::vector<std::string> found;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(folder, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file() && it->path().extension() == ".wf")
            found.push_back(it->path().string());
    std::sort(found.begin(), found.end());
    return found;
}

namespace {

std::vector<std::string> find_files(const std::vector<std::string>& paths,
                                    std::vector<diagnostic>& diags) {
    std::vector<std::string> out;
    for (const auto& path : paths) {
        std::error_code ec;
        if (fs::is_directory(path, ec)) {
            auto found = wf_files_in(path);
            out.insert(out.end(), found.begin(), found.end());
        } else if (fs::exists(path, ec)) {
            out.push_back(path);
        } else {
            diagnostic d;
            d.pos.file = std::make_shared<const std::string>(path);
            d.pos.line = d.pos.column = 1;
            d.code = "E002";
            d.message = "no such file or folder";
            diags.push_back(std::move(d));
        }
    }
    return out;
}

// Records `decl` under `name` in `index`, or reports a duplicate naming both places.
// `all` maps each name to where it was first declared.
template <typename Decl>
void add_name(catalog& c, std::map<std::string, const Decl*>& index, const std::string& name,
              const Decl& decl, std::map<std::string_view, const ast::position*>& all,
              const char* what) {
    auto [it, fresh] = all.try_emplace(name, &decl.pos);
    if (!fresh) {
        const auto& first = *it->second;
        c.diagnostics.push_back(
            {decl.pos, severity::error, "E107",
             fmt::format("duplicate name '{}': {} also declared at {}:{}:{}", name, what,
                         first.file_name(), first.line, first.column)});
        return;
    }
    index.emplace(name, &decl);
}

}  // namespace

void index_names(catalog& c) {
    // One namespace for workflows, forms, blocks and named chains; product display names and
    // product types live apart (a product's type may equal nothing else's name).
    std::map<std::string_view, const ast::position*> names, product_names;
    for (const auto& f : c.files) {
        for (const auto& b : f->blocks) add_name(c, c.blocks, b.name, b, names, "block");
        for (const auto& p : f->products)
            add_name(c, c.products, p.name, p, product_names, "product");
        for (const auto& fm : f->forms) add_name(c, c.forms, fm.name, fm, names, "form");
        for (const auto& w : f->workflows) add_name(c, c.workflows, w.name, w, names, "workflow");
        for (const auto& ch : f->chains) add_name(c, c.chains, ch.name, ch, names, "chain");
    }
}

std::unique_ptr<catalog> load_catalog(const std::vector<std::string>& paths, const registry& reg) {
    auto c = std::make_unique<catalog>();
    c->roots = paths;
    for (const auto& path : find_files(paths, c->diagnostics)) {
        auto parsed = parse_file(path);
        for (auto& d : parsed.diagnostics) c->diagnostics.push_back(std::move(d));
        if (parsed.ok()) c->files.push_back(std::make_unique<ast::file>(std::move(parsed.file)));
    }
    index_names(*c);
    resolve(*c, reg);
    check(*c, reg);
    // A catalog with errors is never run, and its chains may not even expand (E113).
    if (c->ok()) plan_workflows(*c, reg);
    sort_diagnostics(c->diagnostics);
    // A named chain used by several workflows is resolved once for each; report it once.
    auto same = [](const diagnostic& a, const diagnostic& b) {
        return a.pos.file_name() == b.pos.file_name() && a.pos.line == b.pos.line &&
               a.pos.column == b.pos.column && a.code == b.code && a.message == b.message;
    };
    c->diagnostics.erase(std::unique(c->diagnostics.begin(), c->diagnostics.end(), same),
                         c->diagnostics.end());
    return c;
}

}  // namespace wfrun

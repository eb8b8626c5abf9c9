// Check: rules about the shape of what resolved. Each rule is its own function over the
// catalog; each reports with its own code.
#include <fmt/format.h>

#include "interpreter/catalog.hpp"

namespace wfrun {

namespace {

const ast::element* first_step(const ast::chain& chain) {
    return chain.empty() ? nullptr : &chain.front();
}

// E106: a workflow's chain starts with `init`, ends with `done`, and has nothing after `done`.
void check_init_done(catalog& c) {
    for (const auto& [name, w] : c.workflows) {
        const auto& steps = w->steps;
        const auto* first = first_step(steps);
        if (!first) {
            c.diagnostics.push_back({w->pos, severity::error, "E106",
                                     fmt::format("workflow '{}' has no steps", name)});
            continue;
        }
        if (first->k != ast::element::kind::step || first->name != "init")
            c.diagnostics.push_back(
                {first->pos, severity::error, "E106",
                 fmt::format("the chain of workflow '{}' must start with 'init'", name)});
        for (std::size_t i = 0; i + 1 < steps.size(); ++i)
            if (steps[i].k == ast::element::kind::step && steps[i].name == "done") {
                c.diagnostics.push_back({steps[i + 1].pos, severity::error, "E106",
                                         fmt::format("step after 'done' in workflow '{}'", name)});
                break;
            }
        const auto& last = steps.back();
        if (last.k != ast::element::kind::step || last.name != "done")
            c.diagnostics.push_back(
                {last.pos, severity::error, "E106",
                 fmt::format("the chain of workflow '{}' must end with 'done'", name)});
    }
}

}  // namespace

void check(catalog& c, const registry&) { check_init_done(c); }

}  // namespace wfrun

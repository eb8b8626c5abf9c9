// Plan: each workflow's chain flattened into the list of steps a process runs. Named chains
// are expanded in place, `if` blocks become conditions on each inner step (evaluated when the
// step is reached, as orchestrator-core's `conditional` does), and every step gets a stable
// identity so that a process can tell whether the definition it started with has changed.
#include <map>

#include <fmt/format.h>

#include "interpreter/catalog.hpp"
#include "interpreter/util.hpp"

namespace wfrun {

namespace {

struct planner {
    const catalog& c;
    const registry& reg;
    const std::string& product_type;
    std::vector<planned_step>& out;
    std::vector<const ast::condition*> conditions;
    std::vector<const std::vector<ast::option>*> inherited;  // options of enclosing groups
    std::map<std::string, int> seen;                         // step key -> occurrences so far

    void add(planned_step s) {
        int n = ++seen[s.key];
        if (n > 1) s.key += fmt::format("#{}", n);
        s.conditions = conditions;
        out.push_back(std::move(s));
    }

    // Applies `retry(...)` and `timeout(...)`. A timeout's `then` says what happens when an
    // input wait runs out; an input step keeps it in its retry policy (which has no other use
    // there), the engine reads it from `retry->then`.
    void apply_options(const std::vector<ast::option>& options, planned_step& s) {
        for (const auto& o : options) {
            if (o.name == "retry") {
                retry_policy p;
                for (const auto& a : o.args) {
                    if (a.key == "attempts")
                        p.attempts = static_cast<int>(a.val.number);
                    else if (a.key == "delay")
                        p.delay_ms = a.val.number;
                    else if (a.key == "backoff")
                        p.backoff = a.val.number;
                    else if (a.key == "max_delay")
                        p.max_delay_ms = a.val.number;
                    else if (a.key == "then")
                        p.then = a.val.text;
                }
                if (s.k == planned_step::kind::step) s.retry = p;
            } else if (o.name == "timeout") {
                std::string then = "fail";
                for (const auto& a : o.args) {
                    if (a.key.empty() && a.val.k == ast::value::kind::duration)
                        s.timeout_ms = a.val.number;
                    else if (a.key == "then")
                        then = a.val.text;
                }
                if (s.k == planned_step::kind::input) {
                    retry_policy p;
                    p.then = then;
                    s.retry = p;
                }
            }
        }
    }

    // Options of enclosing groups apply to each step inside, before the step's own.
    void apply_all(const ast::element& e, planned_step& s) {
        for (const auto* options : inherited) apply_options(*options, s);
        apply_options(e.options, s);
    }

    void flatten(const ast::chain& chain, int depth) {
        if (depth > 64) return;  // a chain that uses itself; reported by resolve
        for (const auto& e : chain) {
            switch (e.k) {
                case ast::element::kind::step: {
                    if (auto ch = c.chains.find(e.name); ch != c.chains.end()) {
                        inherited.push_back(&e.options);
                        flatten(ch->second->body, depth + 1);
                        inherited.pop_back();
                        break;
                    }
                    const auto* entry = reg.find(e.name, product_type);
                    if (!entry) break;  // reported by resolve
                    planned_step s;
                    s.name = e.name;
                    s.entry = entry;
                    s.pos = e.pos;
                    s.args = bind_args(entry->manifest, e, nullptr).value_or(json::object());
                    s.display = display_name(entry->manifest, s.args);
                    s.key = s.args.empty() ? e.name : fmt::format("{}({})", e.name, s.args.dump());
                    if (entry->manifest.retry) s.retry = retry_policy{};
                    apply_all(e, s);
                    add(std::move(s));
                    break;
                }
                case ast::element::kind::input: {
                    planned_step s;
                    s.k = planned_step::kind::input;
                    s.name = "input";
                    s.pos = e.pos;
                    if (auto f = c.forms.find(e.name); f != c.forms.end()) s.form = f->second;
                    s.display = fmt::format("Input {}", e.name);
                    s.key = fmt::format("input({})", e.name);
                    apply_all(e, s);
                    add(std::move(s));
                    break;
                }
                case ast::element::kind::conditional:
                    conditions.push_back(&*e.cond);
                    inherited.push_back(&e.options);
                    flatten(e.body, depth + 1);
                    inherited.pop_back();
                    conditions.pop_back();
                    break;
                case ast::element::kind::group:
                case ast::element::kind::step_group:
                    inherited.push_back(&e.options);
                    flatten(e.body, depth + 1);
                    inherited.pop_back();
                    break;
            }
        }
    }
};

}  // namespace

void plan_workflows(catalog& c, const registry& reg) {
    for (const auto& def : c.model.workflows) {
        const auto* decl = c.workflows.at(def.name);
        workflow_plan p;
        p.decl = decl;
        p.def = def;
        if (const auto* f = ast::find_property(decl->properties, "form"))
            for (const auto& v : f->values)
                if (auto it = c.forms.find(v.text); it != c.forms.end())
                    p.forms.push_back(it->second);
        planner{c, reg, def.product_type, p.steps, {}, {}, {}}.flatten(decl->steps, 0);
        std::string keys = def.name;
        for (const auto& s : p.steps) keys += "\n" + s.key;
        p.definition = fmt::format("{:016x}", fnv1a(keys));
        c.plans.emplace(def.name, std::move(p));
    }
}

}  // namespace wfrun

// Plan: each workflow's chain flattened into the list of steps a process runs. Named chains
// are expanded in place, `if` blocks become conditions on each inner step (evaluated when the
// step is reached, as orchestrator-core's `conditional` does), and every step gets a stable
// identity so that a process can tell whether the definition it started with has changed.
#include <algorithm>
#include <charconv>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "interpreter/catalog/catalog.hpp"
#include "interpreter/catalog/step_finder.hpp"
#include "interpreter/catalog/walk.hpp"
#include "interpreter/util/util.hpp"

namespace wfrun {

namespace {

using compiled_forms = std::map<std::string, std::shared_ptr<const form_template>, std::less<>>;

// As Python's `bool()`: missing, null, false, 0 and empty are false.
bool truthy(const json* v) {
    if (!v || v->is_null()) return false;
    if (v->is_boolean()) return v->get<bool>();
    if (v->is_number()) return v->get<double>() != 0;
    if (v->is_string() || v->is_array() || v->is_object()) return !v->empty();
    return true;
}

// `if [not] path [(== | !=) literal]` as the engine tests it.
step_condition compile(const ast::condition& c) {
    step_condition out;
    out.negated = c.negated;
    out.path = c.path;
    if (c.op.empty() || !c.operand) return out;
    out.t = c.op == "==" ? step_condition::test::equals : step_condition::test::differs;
    using k = ast::value::kind;
    const auto& lit = *c.operand;
    switch (lit.k) {
        case k::string:
        case k::name:
            out.operand = lit.text;
            break;
        case k::integer:
        case k::duration:
            out.operand = lit.number;
            break;
        case k::boolean:
            out.operand = lit.number != 0;
            break;
        default:
            break;  // equals nothing
    }
    return out;
}

class planner : public chain_walker<planner> {
  public:
    planner(const catalog& c, step_finder& steps, const compiled_forms& forms,
            std::vector<planned_step>& out)
        : chain_walker(c), steps_(steps), forms_(forms), out_(out) {}

    void on_step(const ast::element& e) {
        const auto* entry = steps_.find(e.name);
        if (!entry) return;  // reported by resolve
        auto& s = add();
        s.name = e.name;
        s.entry = entry;
        // Without arguments there is nothing to bind: the arguments are {}.
        if (!e.args.empty())
            if (auto args = bind_args(entry->manifest, e, nullptr)) s.args = std::move(*args);
        auto& seen_before = s.args.empty()
                                ? identify(s, e.name)
                                : identify(s, fmt::format("{}({})", e.name, s.args.dump()));
        if (seen_before.count == 1) seen_before.display = display_name(entry->manifest, s.args);
        s.display = seen_before.display;
        if (entry->manifest.retry) s.retry = retry_policy{};
        apply_all(e, s);
    }

    void on_input(const ast::element& e) {
        auto& s = add();
        s.k = planned_step::kind::input;
        s.name = "input";
        if (auto f = forms_.find(e.name); f != forms_.end()) s.form = f->second;
        s.display = fmt::format("Input {}", e.name);
        identify(s, fmt::format("input({})", e.name));
        apply_all(e, s);
    }

    void enter_block(const ast::element& e) {
        if (e.k == ast::element::kind::conditional)
            conditions_.push_back(std::make_shared<const step_condition>(compile(*e.cond)));
    }

    void leave_block(const ast::element& e) {
        if (e.k == ast::element::kind::conditional) conditions_.pop_back();
    }

  private:
    // What the steps with one key have in common: how often the key came so far, and the
    // display name (a function of the step and its arguments, which the key names).
    struct occurrences {
        int count = 0;
        std::string display;
    };

    // A new step at the end of the plan, inside the current `if`s.
    planned_step& add() {
        auto& s = out_.emplace_back();
        s.conditions = conditions_;
        return s;
    }

    // Gives the step just added its stable identity, `key` and `#N` for its N-th occurrence, and
    // returns what the steps of that key have in common.
    occurrences& identify(planned_step& s, std::string_view key) {
        auto it = seen_.find(key);
        if (it == seen_.end()) it = seen_.emplace(key, occurrences{}).first;
        auto& o = it->second;
        ++o.count;
        char suffix[16] = {'#'};
        char* end =
            o.count == 1 ? suffix : std::to_chars(suffix + 1, std::end(suffix), o.count).ptr;
        s.key.reserve(key.size() + static_cast<std::size_t>(end - suffix));
        s.key.assign(key).append(suffix, end);
        return o;
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

    // Options of the enclosing blocks and named-chain uses apply to each step inside, outermost
    // first, before the step's own.
    void apply_all(const ast::element& e, planned_step& s) {
        for (const auto* outer : enclosing()) apply_options(outer->options, s);
        apply_options(e.options, s);
    }

    step_finder& steps_;
    const compiled_forms& forms_;
    std::vector<planned_step>& out_;
    std::vector<std::shared_ptr<const step_condition>>
        conditions_;  // the enclosing `if`s, outermost first
    std::unordered_map<std::string, occurrences, name_hash, std::equal_to<>> seen_;
};

}  // namespace

std::int64_t retry_policy::wait_after(int attempt) const {
    const std::int64_t cap = std::clamp<std::int64_t>(max_delay_ms, 0, max_duration_ms);
    const std::int64_t factor = std::max<std::int64_t>(backoff, 1);
    std::int64_t wait = std::clamp<std::int64_t>(delay_ms, 0, cap);
    // Each round at least doubles the wait, so this stops within 63 rounds.
    for (int i = 1; i < attempt && factor > 1 && wait > 0 && wait < cap; ++i)
        wait = wait > cap / factor ? cap : wait * factor;
    return wait;
}

bool step_condition::holds(const json& state) const {
    const json* v = lookup_path(state, path);
    bool result;
    if (t == test::truthy) {
        result = truthy(v);
    } else {
        // An integer literal equals integers only (not 1.0); other literals compare as JSON.
        bool equal =
            v && operand &&
            (operand->is_number_integer()
                 ? v->is_number_integer() && v->get<std::int64_t>() == operand->get<std::int64_t>()
                 : *v == *operand);
        result = equal == (t == test::equals);
    }
    return negated ? !result : result;
}

void plan_workflows(catalog& c, const registry& reg) {
    step_finders finders(reg);
    // Sizes the plans; the catalog checked, so no chain expands to more than this (E113).
    expansion_counter counter(c, max_expanded_steps);
    // Each form is compiled once; the plans that use it share it.
    compiled_forms forms;
    for (const auto& [name, decl] : c.forms)
        forms.emplace(name, std::make_shared<const form_template>(compile_form(*decl)));
    for (const auto& def : c.model.workflows) {
        const auto* decl = c.workflows.at(def.name);
        workflow_plan p;
        p.def = def;
        if (const auto* f = ast::find_property(decl->properties, "form"))
            for (const auto& v : f->values)
                if (auto it = forms.find(v.text); it != forms.end()) p.forms.push_back(it->second);
        p.steps.reserve(counter.count(decl->steps));
        planner(c, finders[def.product_type], forms, p.steps).walk(decl->steps);
        // FNV-1a of the name and the step keys, each after a line break: fed piece by piece, it
        // gives the hash of the joined text without building it.
        std::uint64_t hash = fnv1a(def.name);
        for (const auto& s : p.steps) hash = fnv1a(s.key, fnv1a("\n", hash));
        p.definition = fmt::format("{:016x}", hash);
        c.plans.emplace(def.name, std::move(p));
    }
}

}  // namespace wfrun

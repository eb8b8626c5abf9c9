// Plan: each workflow's chain flattened into the list of steps a process runs. Named chains
// are expanded in place, `if` blocks become conditions on each inner step (evaluated when the
// step is reached, as orchestrator-core's `conditional` does), and every step gets a stable
// identity so that a process can tell whether the definition it started with has changed.
#include <charconv>
#include <iterator>
#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "interpreter/catalog/catalog.hpp"
#include "interpreter/catalog/step_finder.hpp"
#include "interpreter/catalog/walk.hpp"
#include "interpreter/util/util.hpp"

namespace wfrun {

namespace {

class planner : public chain_walker<planner> {
  public:
    planner(const catalog& c, step_finder& steps, std::vector<planned_step>& out)
        : chain_walker(c), steps_(steps), out_(out) {}

    void on_step(const ast::element& e) {
        const auto* entry = steps_.find(e.name);
        if (!entry) return;  // reported by resolve
        auto& s = add(e);
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
        auto& s = add(e);
        s.k = planned_step::kind::input;
        s.name = "input";
        if (auto f = cat().forms.find(e.name); f != cat().forms.end()) s.form = f->second;
        s.display = fmt::format("Input {}", e.name);
        identify(s, fmt::format("input({})", e.name));
        apply_all(e, s);
    }

    void enter_block(const ast::element& e) {
        if (e.k == ast::element::kind::conditional) conditions_.push_back(&*e.cond);
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
    planned_step& add(const ast::element& e) {
        auto& s = out_.emplace_back();
        s.pos = e.pos;
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
    std::vector<planned_step>& out_;
    std::vector<const ast::condition*> conditions_;  // the enclosing `if`s, outermost first
    std::unordered_map<std::string, occurrences, name_hash, std::equal_to<>> seen_;
};

}  // namespace

void plan_workflows(catalog& c, const registry& reg) {
    step_finders finders(reg);
    // Sizes the plans; the catalog checked, so no chain expands to more than this (E113).
    expansion_counter counter(c, max_expanded_steps);
    for (const auto& def : c.model.workflows) {
        const auto* decl = c.workflows.at(def.name);
        workflow_plan p;
        p.decl = decl;
        p.def = def;
        if (const auto* f = ast::find_property(decl->properties, "form"))
            for (const auto& v : f->values)
                if (auto it = c.forms.find(v.text); it != c.forms.end())
                    p.forms.push_back(it->second);
        p.steps.reserve(counter.count(decl->steps));
        planner(c, finders[def.product_type], p.steps).walk(decl->steps);
        // FNV-1a of the name and the step keys, each after a line break: fed piece by piece, it
        // gives the hash of the joined text without building it.
        std::uint64_t hash = fnv1a(def.name);
        for (const auto& s : p.steps) hash = fnv1a(s.key, fnv1a("\n", hash));
        p.definition = fmt::format("{:016x}", hash);
        c.plans.emplace(def.name, std::move(p));
    }
}

}  // namespace wfrun

// The rules about the process state, checked by following each workflow's chain as the engine
// would run it:
//
//   E111  a step reads a state key (or a condition names one) that nothing before it can have
//         written: not the initial keys, the implicit first page, a form page, an earlier input
//         step or an earlier step's manifest;
//   E112  a form's title or a field's default names a path that does not exist in the form's
//         context: the state so far and, for MODIFY, TERMINATE and VALIDATE workflows, the
//         subscription as the product's domain model (`{subscription.user_group.nme}`).
//
// "Can have written" is optimistic: a key written inside an `if` counts as written after it.
// The state is tracked as a map from key to the shape of its value, so that paths into a
// subscription are checked against the product model and paths into a form field's value are
// not checked further than the field.
#include <algorithm>
#include <map>
#include <memory>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "interpreter/check/passes.hpp"
#include "interpreter/util/util.hpp"

namespace wfrun::check_detail {

namespace {

// Orders keys by length first: most keys differ in length, so a lookup seldom compares
// characters, and a state is looked up for every key of every step. Only suggestions need the
// keys in alphabetical order (names_of).
struct shorter_first {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const {
        return a.size() != b.size() ? a.size() < b.size() : a < b;
    }
};

// What is known about a value: the keys it has, or `open` when any path below it may exist.
// Shapes are built once per product type and never change; a state refers to them.
struct shape;
using shape_map = std::map<std::string, const shape*, shorter_first>;
struct shape {
    bool open = false;
    shape_map fields;
};

const shape* leaf() {
    static const shape s;
    return &s;
}

const shape* open_shape() {
    static const shape s{true, {}};
    return &s;
}

// The state's keys and the shapes of their values.
using state_shape = shape_map;

// Keys every process starts with (engine::start), and those a form's context starts with
// (engine::post_form, which has no process id yet).
const char* const process_keys[] = {"process_id", "reporter", "workflow_name", "workflow_target"};
const char* const form_keys[] = {"reporter", "workflow_name", "workflow_target"};


// The shapes of subscriptions by product type, built on first use and owned here.
struct shapes {
    const catalog& c;
    std::map<std::string, const shape*, std::less<>> by_product_type;
    std::vector<std::unique_ptr<shape>> owned;

    shape* make() { return owned.emplace_back(std::make_unique<shape>()).get(); }

    const shape* block(const std::string& name, int depth) {
        const auto* b = c.model.block(name);
        if (!b || depth > 16) return open_shape();
        auto* s = make();
        for (const char* k : {"name", "subscription_instance_id", "owner_subscription_id", "label"})
            s->fields[k] = leaf();
        for (const auto& f : b->fields)
            s->fields[f.name] = f.is_block ? block(f.type, depth + 1) : leaf();
        return s;
    }

    // The domain model of a subscription of `product_type` (every product of that type: their
    // fixed inputs and root blocks together).
    const shape* subscription(const std::string& product_type) {
        if (auto it = by_product_type.find(product_type); it != by_product_type.end())
            return it->second;
        auto* s = make();
        bool any = false;
        for (const char* k : {"subscription_id", "description", "status", "insync", "customer_id",
                              "start_date", "end_date", "note", "version"})
            s->fields[k] = leaf();
        auto* product = make();
        for (const char* k : {"product_id", "name", "description", "product_type", "tag", "status"})
            product->fields[k] = leaf();
        s->fields["product"] = product;
        for (const auto& p : c.model.products) {
            if (p.type != product_type) continue;
            any = true;
            for (const auto& [name, value] : p.fixed) s->fields[name] = leaf();
            if (!p.root_field.empty()) s->fields[p.root_field] = block(p.root_block, 0);
        }
        const shape* out = any ? s : open_shape();
        by_product_type.emplace(product_type, out);
        return out;
    }
};

// The shape of a state key a step writes, in a workflow whose subscriptions have the shape
// `subscription`.
const shape* written_shape(value_type t, const shape* subscription) {
    switch (t) {
        case value_type::subscription:
            return subscription;
        case value_type::any:
        case value_type::list:
        case value_type::object:
            return open_shape();
        default:
            return leaf();
    }
}

// What a step leaves in the state: the shapes of the keys it writes.
void apply_writes(state_shape& state, const step_manifest& m, const shape* subscription) {
    for (const auto& w : m.writes) state[w.name] = written_shape(w.type, subscription);
}

const shape* field_shape(const ast::field_decl& f) {
    return f.type.name == "list" ? open_shape() : leaf();
}

void add_form_fields(state_shape& state, const ast::form_decl& form) {
    for (const auto& f : form.fields) state[f.name] = field_shape(f);
}

// The keys of `m` in alphabetical order, for a "did you mean".
std::vector<std::string> names_of(const shape_map& m) {
    std::vector<std::string> out;
    for (const auto& [k, v] : m) out.push_back(k);
    std::sort(out.begin(), out.end());
    return out;
}

// Why `path` does not exist in `state`, or "" when it may.
std::string path_problem(const state_shape& state, std::string_view path,
                         const char* where = "the form's context") {
    if (path.empty()) return "an empty path";
    const shape_map* level = &state;
    std::string so_far;
    while (true) {
        auto dot = path.find('.');
        std::string_view key = path.substr(0, dot);
        auto it = level->find(key);
        if (it == level->end()) {
            auto best = closest_name(key, names_of(*level));
            auto hint = best.empty() ? std::string() : fmt::format("; did you mean '{}'?", best);
            if (so_far.empty()) return fmt::format("'{}' is not in {}{}", key, where, hint);
            return fmt::format("'{}' has no '{}'{}", so_far, key, hint);
        }
        if (dot == std::string_view::npos || it->second->open) return {};
        if (!so_far.empty()) so_far += '.';
        so_far += key;
        if (it->second->fields.empty())
            return fmt::format("'{}' has no fields, so '{}' does not exist", so_far, path);
        level = &it->second->fields;
        path.remove_prefix(dot + 1);
    }
}

// The initial keys of a process of `def` as the first step sees them: the initial keys, the
// implicit first page, and the fields of every page of the workflow's form.
state_shape initial_state(const workflow_def& def, const ast::workflow_decl& w, const catalog& c) {
    state_shape state;
    for (const char* k : process_keys) state[k] = leaf();
    if (def.target == workflow_target::create) {
        state["product"] = leaf();
        state["product_name"] = leaf();
    } else if (takes_subscription(def.target)) {
        for (const char* k : {"subscription_id", "product", "customer_id"}) state[k] = leaf();
    }
    if (const auto* f = ast::find_property(w.properties, "form"))
        for (const auto& v : f->values)
            if (auto it = c.forms.find(v.text); it != c.forms.end())
                add_form_fields(state, *it->second);
    return state;
}

std::string first_segment(const std::string& path) {
    return path.substr(0, path.find('.'));
}

// E111, for one workflow.
struct state_key_checker {
    context& ctx;
    const shape* subscription;  // the shape of the workflow's subscriptions
    state_shape state;
    // Steps whose reads were all there once: keys are never removed, so they still are.
    std::unordered_set<const step_entry*> satisfied = {};

    // A step of the registry that writes `key`, to say how the key could get there.
    std::string writer_hint(const std::string& key) const {
        for (const auto* e : ctx.reg.entries())
            for (const auto& w : e->manifest.writes)
                if (w.name == key) return fmt::format("; '{}' writes it", e->manifest.name);
        auto best = closest_name(key, names_of(state));
        return best.empty() ? std::string() : fmt::format("; did you mean '{}'?", best);
    }

    void visit(const chain_event& ev) {
        switch (ev.k) {
            case chain_event::kind::step: {
                const auto& m = ev.entry->manifest;
                if (!satisfied.contains(ev.entry)) {
                    bool all = true;
                    for (const auto& r : m.reads) {
                        if (r.optional || state.contains(r.name)) continue;
                        all = false;
                        ctx.report(
                            ev.element->pos, severity::error, "E111",
                            fmt::format("step '{}' reads '{}', which nothing before it writes{}",
                                        m.name, r.name, writer_hint(r.name)));
                    }
                    if (all) satisfied.insert(ev.entry);
                }
                apply_writes(state, m, subscription);
                break;
            }
            case chain_event::kind::input:
                if (ev.form) add_form_fields(state, *ev.form);
                break;
            case chain_event::kind::condition: {
                const auto& cond = *ev.element->cond;
                auto problem = path_problem(state, cond.path, "the state");
                if (problem.empty()) break;
                auto key = first_segment(cond.path);
                ctx.report(
                    cond.pos, severity::error, "E111",
                    state.contains(key)
                        ? fmt::format("condition reads '{}': {}", cond.path, problem)
                        : fmt::format("condition reads '{}', which nothing before it writes{}", key,
                                      writer_hint(key)));
                break;
            }
        }
    }
};

// E112: each template path and default path of one form in one context.
struct form_path_checker {
    context& ctx;
    const std::string& workflow;

    void report(const ast::value& v, const std::string& path, const ast::form_decl& form,
                const std::string& problem) {
        auto pos = v.pos;
        // Point at the path inside a template when it is written as is.
        if (v.k == ast::value::kind::string) {
            auto at = v.source.find("{" + path + "}");
            if (at != std::string::npos) pos.column += at + 1;
        }
        ctx.report(pos, severity::error, "E112",
                   fmt::format("unknown path '{}' in form '{}' (workflow '{}'): {}", path,
                               form.name, workflow, problem));
    }

    void check_template(const ast::value& v, const state_shape& state, const ast::form_decl& form) {
        std::string_view text = v.text;
        for (std::size_t i = 0; i < text.size(); ++i) {
            char ch = text[i];
            if ((ch == '{' || ch == '}') && i + 1 < text.size() && text[i + 1] == ch) {
                ++i;
            } else if (ch == '{') {
                auto close = text.find('}', i + 1);
                if (close == std::string_view::npos) {
                    ctx.report(
                        v.pos, severity::error, "E112",
                        fmt::format("unclosed '{{' in a template of form '{}'; write '{{{{' for a "
                                    "literal brace",
                                    form.name));
                    return;
                }
                std::string path(text.substr(i + 1, close - i - 1));
                if (auto problem = path_problem(state, path); !problem.empty())
                    report(v, path, form, problem);
                i = close;
            }
        }
    }

    void check_value(const ast::value& v, const state_shape& state, const ast::form_decl& form) {
        using k = ast::value::kind;
        switch (v.k) {
            case k::string:
                check_template(v, state, form);
                break;
            case k::name:
            case k::path:
                if (auto problem = path_problem(state, v.text); !problem.empty())
                    report(v, v.text, form, problem);
                break;
            case k::list:
                for (const auto& item : v.items) check_value(item, state, form);
                break;
            case k::duration:
                ctx.report(
                    v.pos, severity::error, "E112",
                    fmt::format("'{}' is not a form default (form '{}')", v.source, form.name));
                break;
            default:
                break;
        }
    }

    void check_form(const ast::form_decl& form, const state_shape& state) {
        if (const auto* title = ast::find_property(form.properties, "title"))
            for (const auto& v : title->values) check_value(v, state, form);
        for (const auto& f : form.fields)
            if (f.default_value) check_value(*f.default_value, state, form);
    }
};

}  // namespace

void check_state_keys(context& ctx) {
    shapes known{ctx.c, {}, {}};
    for (auto& w : ctx.workflows) {
        if (!w.walkable()) continue;
        state_key_checker checker{ctx, known.subscription(w.def->product_type),
                                  initial_state(*w.def, *w.decl, ctx.c)};
        for (const auto& ev : ctx.events(w)) checker.visit(ev);
    }
}

void check_form_paths(context& ctx) {
    shapes known{ctx.c, {}, {}};
    for (auto& w : ctx.workflows) {
        if (!w.walkable()) continue;
        const auto* def = w.def;
        const auto* subscription = known.subscription(def->product_type);
        form_path_checker checker{ctx, *w.name};
        // The initial pages, in the context engine::post_form gives them.
        state_shape context;
        for (const char* k : form_keys) context[k] = leaf();
        if (def->target == workflow_target::create) {
            context["product"] = leaf();
            context["product_name"] = leaf();
        } else if (takes_subscription(def->target)) {
            for (const char* k : {"subscription_id", "product", "customer_id"}) context[k] = leaf();
            context["subscription"] = subscription;
        }
        if (const auto* f = ast::find_property(w.decl->properties, "form"))
            for (const auto& v : f->values)
                if (auto it = ctx.c.forms.find(v.text); it != ctx.c.forms.end()) {
                    checker.check_form(*it->second, context);
                    add_form_fields(context, *it->second);
                }
        // Input steps: the state as the steps before them left it. What comes after the last
        // input step is never looked at.
        const auto& events = ctx.events(w);
        auto is_input = [](const chain_event& ev) { return ev.k == chain_event::kind::input; };
        auto end = std::find_if(events.rbegin(), events.rend(), is_input).base();
        if (end == events.begin()) continue;
        auto state = initial_state(*def, *w.decl, ctx.c);
        for (auto ev = events.begin(); ev != end; ++ev) {
            if (ev->k == chain_event::kind::step) {
                apply_writes(state, ev->entry->manifest, subscription);
            } else if (ev->k == chain_event::kind::input && ev->form) {
                checker.check_form(*ev->form, state);
                add_form_fields(state, *ev->form);
            }
        }
    }
}

}  // namespace wfrun::check_detail

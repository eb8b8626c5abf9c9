// Check: rules about the shape of what resolved. Each rule is its own pass over the catalog and
// reports with its own code; check() runs them in order. This file holds the expanded chain the
// passes share (built with the catalog's chain walker) and the rules about a chain's outline (E106,
// E113, E118), declarations (E107 for fields), options (E105), TERMINATE workflows (W104) and what
// nothing uses (W105, W106). The rules about the state live in check_state.cpp, those about the
// subscription's lock and lifecycle in check_lock.cpp.
#include <map>
#include <set>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "grammar/numbers.hpp"
#include "interpreter/catalog/walk.hpp"
#include "interpreter/check/passes.hpp"

namespace wfrun {

namespace check_detail {

void context::report(const ast::position& pos, severity level, const char* code,
                     std::string message) {
    auto key = fmt::format("{}:{}:{}:{}:{}", pos.file_name(), pos.line, pos.column, code, message);
    if (!reported.insert(std::move(key)).second) return;
    c.diagnostics.push_back({pos, level, code, std::move(message)});
}

bool is_lock_step(std::string_view name) {
    return name == "unsync" || name == "unsync_unchecked" || name == "create_subscription";
}

bool writes_subscription(const step_entry& entry) {
    for (const auto& w : entry.manifest.writes)
        if (w.type == value_type::subscription) return true;
    return false;
}

namespace {

// Expands a chain into the events the passes read; see context::events.
class expander : public chain_walker<expander> {
  public:
    expander(const catalog& c, step_finder& steps, std::vector<chain_event>& out)
        : chain_walker(c), steps_(steps), out_(out) {}

    void on_step(const ast::element& e) {
        if (const auto* entry = steps_.find(e.name))
            out_.push_back({chain_event::kind::step, &e, entry, nullptr, conditional_depth_});
    }

    void on_input(const ast::element& e) {
        auto f = cat().forms.find(e.name);
        out_.push_back({chain_event::kind::input, &e, nullptr,
                        f == cat().forms.end() ? nullptr : f->second, conditional_depth_});
    }

    void enter_block(const ast::element& e) {
        if (e.k != ast::element::kind::conditional) return;
        out_.push_back({chain_event::kind::condition, &e, nullptr, nullptr, conditional_depth_});
        ++conditional_depth_;
    }

    void leave_block(const ast::element& e) {
        if (e.k == ast::element::kind::conditional) --conditional_depth_;
    }

  private:
    step_finder& steps_;
    std::vector<chain_event>& out_;
    int conditional_depth_ = 0;
};

bool is_step(const ast::element& e, std::string_view name) {
    return e.k == ast::element::kind::step && e.name == name;
}

}  // namespace

const std::vector<chain_event>& context::events(workflow_info& w) {
    if (!w.expanded) {
        w.events.reserve(w.size);
        expander(c, steps[w.def->product_type], w.events).walk(w.decl->steps);
        w.expanded = true;
    }
    return w.events;
}

// E113: a chain that expands to more steps than a process can sensibly run (named chains used
// twice in a chain used twice ... double at each level).
void check_expansion(context& ctx) {
    expansion_counter counter(ctx.c, max_expanded_steps);
    for (auto& w : ctx.workflows) {
        w.size = counter.count(w.decl->steps);
        if (w.size <= max_expanded_steps) continue;
        w.too_large = true;
        ctx.report(w.decl->pos, severity::error, "E113",
                   fmt::format("the chain of workflow '{}' expands to more than {} steps", *w.name,
                               max_expanded_steps));
    }
}

// E118: blocks and named-chain uses nested deeper than the walkers go (max_nesting_depth), in a
// workflow or in a named chain no workflow uses. The parser bounds the nesting within one chain
// (grammar's max_nesting); only named chains expanded inside one another can go deeper.
void check_nesting(context& ctx) {
    nesting_counter counter(ctx.c);
    auto report = [&](const ast::element& at, const std::string& where) {
        ctx.report(at.pos, severity::error, "E118",
                   fmt::format("nesting too deep in {}: blocks and named-chain uses nest at most "
                               "{} levels, named chains expanded",
                               where, max_nesting_depth));
    };
    for (auto& w : ctx.workflows) {
        if (counter.depth(w.decl->steps) <= max_nesting_depth) continue;
        w.too_deep = true;
        report(*counter.too_deep(), fmt::format("workflow '{}'", *w.name));
    }
    // A named chain that nothing uses is checked on its own; one that another chain uses is
    // checked where it is used, so that a long line of chains is reported once, not per chain.
    std::set<std::string_view> used;
    for (const auto& [name, w] : ctx.c.workflows)
        for_each_element(w->steps, [&](const ast::element& e) { used.insert(e.name); });
    for (const auto& entry : ctx.c.chains) {  // no structured binding: the lambda uses the name
        const std::string& name = entry.first;
        for_each_element(entry.second->body, [&](const ast::element& e) {
            if (e.name != name) used.insert(e.name);
        });
    }
    for (const auto& [name, ch] : ctx.c.chains)
        if (!used.count(name) && counter.depth(ch->body) > max_nesting_depth)
            report(*counter.too_deep(), fmt::format("chain '{}'", name));
}

// E106: a workflow's chain starts with `init`, ends with `done`, and has nothing after `done`.
void check_init_done(context& ctx) {
    for (const auto& [name, w] : ctx.c.workflows) {
        const auto& steps = w->steps;
        if (steps.empty()) {
            ctx.report(w->pos, severity::error, "E106",
                       fmt::format("workflow '{}' has no steps", name));
            continue;
        }
        if (!is_step(steps.front(), "init"))
            ctx.report(steps.front().pos, severity::error, "E106",
                       fmt::format("the chain of workflow '{}' must start with 'init'", name));
        for (std::size_t i = 0; i + 1 < steps.size(); ++i)
            if (is_step(steps[i], "done")) {
                ctx.report(steps[i + 1].pos, severity::error, "E106",
                           fmt::format("step after 'done' in workflow '{}'", name));
                break;
            }
        if (!is_step(steps.back(), "done"))
            ctx.report(steps.back().pos, severity::error, "E106",
                       fmt::format("the chain of workflow '{}' must end with 'done'", name));
        // `init` and `done` anywhere else: nested, or in the middle.
        for (std::size_t i = 0; i < steps.size(); ++i) {
            for_each_element(steps[i].body, [&](const ast::element& e) {
                if (is_step(e, "init") || is_step(e, "done"))
                    ctx.report(
                        e.pos, severity::error, "E106",
                        fmt::format("'{}' may only be written at the top level of a workflow's "
                                    "chain",
                                    e.name));
            });
            if (i > 0 && is_step(steps[i], "init"))
                ctx.report(steps[i].pos, severity::error, "E106",
                           fmt::format("'init' must come first in workflow '{}'", name));
        }
    }
    for (const auto& entry : ctx.c.chains) {
        const std::string& name = entry.first;
        for_each_element(entry.second->body, [&](const ast::element& e) {
            if (is_step(e, "init") || is_step(e, "done"))
                ctx.report(
                    e.pos, severity::error, "E106",
                    fmt::format("'{}' may not be written in named chain '{}'", e.name, name));
        });
    }
}

// E107: two fields of one block, product or form with the same name.
void check_duplicate_fields(context& ctx) {
    auto check = [&](const std::vector<ast::field_decl>& fields, const std::string& owner) {
        std::map<std::string, const ast::field_decl*> seen;
        for (const auto& f : fields) {
            auto [it, fresh] = seen.emplace(f.name, &f);
            if (!fresh)
                ctx.report(f.pos, severity::error, "E107",
                           fmt::format("duplicate field '{}' in {}: also declared at {}:{}:{}",
                                       f.name, owner, it->second->pos.file_name(),
                                       it->second->pos.line, it->second->pos.column));
        }
    };
    for (const auto& file : ctx.c.files) {
        for (const auto& b : file->blocks) check(b.fields, fmt::format("block '{}'", b.name));
        for (const auto& p : file->products) check(p.fields, fmt::format("product \"{}\"", p.name));
        for (const auto& f : file->forms) check(f.fields, fmt::format("form '{}'", f.name));
    }
}

// E105 and E119: the arguments of retry(...) and timeout(...), their kinds and their ranges.
void check_options(context& ctx) {
    using k = ast::value::kind;
    auto bad = [&](const ast::position& pos, std::string message) {
        ctx.report(pos, severity::error, "E105", std::move(message));
    };
    // E119: a number of the right kind outside the range the engine takes (plan.hpp).
    auto in_range = [&](const ast::value& v, const char* what, std::int64_t low,
                        std::int64_t high) {
        if (v.number >= low && v.number <= high) return;
        auto text = [&](std::int64_t n) {
            return v.k == k::duration ? duration_text(n) : std::to_string(n);
        };
        ctx.report(v.pos, severity::error, "E119",
                   fmt::format("'{}' is {}, out of range: it takes {} to {}", what, v.source,
                               text(low), text(high)));
    };
    auto check_then = [&](const ast::argument& a) {
        if ((a.val.k != k::name && a.val.k != k::string) ||
            (a.val.text != "fail" && a.val.text != "abort"))
            bad(a.val.pos, "'then' takes fail or abort");
    };
    auto check_option = [&](const ast::option& o) {
        std::set<std::string> given;
        for (std::size_t i = 0; i < o.args.size(); ++i) {
            const auto& a = o.args[i];
            if (!a.key.empty() && !given.insert(a.key).second) {
                bad(a.pos, fmt::format("'{}' is given twice in {}(...)", a.key, o.name));
                continue;
            }
            if (o.name == "retry") {
                if (a.key == "attempts" || a.key == "backoff") {
                    if (a.val.k != k::integer)
                        bad(a.val.pos, fmt::format("'{}' takes a whole number", a.key));
                    else if (a.key == "attempts")
                        in_range(a.val, "attempts", 1, max_retry_attempts);
                    else
                        in_range(a.val, "backoff", 1, max_retry_backoff);
                } else if (a.key == "delay" || a.key == "max_delay") {
                    if (a.val.k != k::duration)
                        bad(a.val.pos,
                            fmt::format("'{}' takes a duration (500ms, 5s, 2m, 1h)", a.key));
                    else
                        in_range(a.val, a.key.c_str(), 0, max_duration_ms);
                } else if (a.key == "then") {
                    check_then(a);
                } else {
                    bad(a.pos, a.key.empty()
                                   ? std::string("retry takes named arguments: attempts, delay, "
                                                 "backoff, max_delay, then")
                                   : fmt::format("retry has no argument '{}'; it takes attempts, "
                                                 "delay, backoff, max_delay, then",
                                                 a.key));
                }
            } else if (o.name == "timeout") {
                if (a.key.empty() && i == 0) {
                    if (a.val.k != k::duration)
                        bad(a.val.pos, "timeout takes a duration (500ms, 5s, 2m, 1h)");
                    else
                        in_range(a.val, "timeout", 0, max_duration_ms);
                } else if (a.key == "then") {
                    check_then(a);
                } else {
                    bad(a.pos, "timeout takes a duration and, optionally, then: fail or abort");
                }
            }
        }
        if (o.name == "timeout" && (o.args.empty() || !o.args.front().key.empty()))
            bad(o.pos, "timeout needs a duration first: timeout(1h)");
    };
    for_each_chain(ctx.c, [&](const ast::chain& chain) {
        for_each_element(chain, [&](const ast::element& e) {
            for (const auto& o : e.options) check_option(o);
        });
    });
}

// W104: a TERMINATE workflow that never moves its subscription to terminated.
void check_terminate_status(context& ctx) {
    for (auto& w : ctx.workflows) {
        if (!w.walkable() || w.def->target != workflow_target::terminate) continue;
        bool found = false;
        for (const auto& ev : ctx.events(w)) {
            if (ev.k != chain_event::kind::step || ev.entry->manifest.name != "set_status")
                continue;
            auto args = bind_args(ev.entry->manifest, *ev.element, nullptr);
            if (args && args->value("lifecycle", "") == "terminated") found = true;
        }
        if (!found)
            ctx.report(w.decl->pos, severity::warning, "W104",
                       fmt::format("TERMINATE workflow '{}' never calls "
                                   "set_status(SubscriptionLifecycle.TERMINATED)",
                                   *w.name));
    }
}

// W105 and W106: a form no workflow or chain uses, a named chain no workflow uses.
void check_unused(context& ctx) {
    std::set<std::string> used_forms, used_chains;
    // The chains workflows use, then those that used chains use, each body read once: a line of
    // chains deeper than the walkers go (E118) still counts as used.
    std::vector<const ast::chain*> to_read;
    auto use_chains_in = [&](const ast::chain& chain) {
        for_each_element(chain, [&](const ast::element& e) {
            if (e.k != ast::element::kind::step) return;
            auto named = ctx.c.chains.find(e.name);
            if (named != ctx.c.chains.end() && used_chains.insert(e.name).second)
                to_read.push_back(&named->second->body);
        });
    };
    for (const auto& [name, w] : ctx.c.workflows) {
        if (const auto* f = ast::find_property(w->properties, "form"))
            for (const auto& v : f->values) used_forms.insert(v.text);
        use_chains_in(w->steps);
    }
    while (!to_read.empty()) {
        const auto* body = to_read.back();
        to_read.pop_back();
        use_chains_in(*body);
    }
    for_each_chain(ctx.c, [&](const ast::chain& chain) {
        for_each_element(chain, [&](const ast::element& e) {
            if (e.k == ast::element::kind::input) used_forms.insert(e.name);
        });
    });
    for (const auto& [name, f] : ctx.c.forms)
        if (!used_forms.count(name))
            ctx.report(f->pos, severity::warning, "W105",
                       fmt::format("form '{}' is not used by any workflow or input step", name));
    for (const auto& [name, ch] : ctx.c.chains)
        if (!used_chains.count(name))
            ctx.report(ch->pos, severity::warning, "W106",
                       fmt::format("chain '{}' is not used by any workflow", name));
}

}  // namespace check_detail

void check(catalog& c, const registry& reg) {
    using namespace check_detail;
    context ctx{c, reg, {}};
    std::map<std::string_view, const workflow_def*> defs;
    for (const auto& def : c.model.workflows) defs.emplace(def.name, &def);
    ctx.workflows.reserve(c.workflows.size());
    for (const auto& [name, w] : c.workflows) {
        auto def = defs.find(name);
        ctx.workflows.push_back({&name, w, def == defs.end() ? nullptr : def->second});
    }
    check_expansion(ctx);
    check_nesting(ctx);
    check_init_done(ctx);
    check_duplicate_fields(ctx);
    check_options(ctx);
    check_form_fields(ctx);
    check_state_keys(ctx);
    check_form_paths(ctx);
    check_lock_regions(ctx);
    check_terminate_status(ctx);
    check_unused(ctx);
    check_required_fields(ctx);
}

}  // namespace wfrun

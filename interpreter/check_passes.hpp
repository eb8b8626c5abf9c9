// The check passes and what they share. check() in check.cpp runs the passes in order; each pass
// is one lint rule (or a family of rules with one subject) and reports with its own codes
// (docs/lint-codes.md). The passes read a workflow's chain through walk_chain, which expands
// named chains in place, so every rule sees a chain as the engine will run it.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "interpreter/catalog.hpp"

namespace wfrun::check_detail {

// One element of a workflow's chain as the passes see it, named chains expanded.
struct chain_event {
    enum class kind {
        step,       // a registry step (`entry` is set)
        input,      // input(FORM) (`form` is set when the form exists)
        condition,  // the `if` of a conditional, before its body
    };
    kind k = kind::step;
    const ast::element* element = nullptr;
    const step_entry* entry = nullptr;
    const ast::form_decl* form = nullptr;
    int conditional_depth = 0;  // how many `if`s enclose the element
};

// Calls `visit` for each step, input and condition of `chain` in order, with named chains
// expanded. Names that do not resolve are skipped (resolve reports them); a chain that uses
// itself is expanded once.
void walk_chain(const catalog& c, const registry& reg, const std::string& product_type,
                const ast::chain& chain, const std::function<void(const chain_event&)>& visit);

// What every pass gets: the catalog, the registry, and the workflows the passes that walk chains
// leave out because their chain expands to too many steps (E113, reported once).
struct context {
    catalog& c;
    const registry& reg;
    std::set<std::string> too_large;
    std::map<std::string, const workflow_def*> defs;  // the resolved workflows by name

    std::set<std::string> reported;  // a named chain used many times is reported once

    bool skip(const std::string& workflow) const { return too_large.count(workflow) != 0; }
    // Adds a diagnostic unless the same one (place, code, message) was added before.
    void report(const ast::position& pos, severity level, const char* code, std::string message);
    // The workflow's resolved definition; nullptr when it did not resolve.
    const workflow_def* def(const std::string& workflow) const;
};

// The most steps a workflow's chain may expand to, named chains expanded.
inline constexpr std::size_t max_expanded_steps = 100'000;

// Builtin steps that lock or unlock the subscription, or set its lifecycle: they change the
// subscription without setting any of its fields.
bool is_lock_step(const std::string& name);  // unsync, unsync_unchecked, create_subscription
bool writes_subscription(const step_entry& entry);

// The passes, in the order check() runs them.
void check_expansion(context& ctx);         // E113
void check_init_done(context& ctx);         // E106
void check_duplicate_fields(context& ctx);  // E107 (fields)
void check_options(context& ctx);           // E105 (retry/timeout)
void check_state_keys(context& ctx);        // E111
void check_form_paths(context& ctx);        // E112
void check_lock_regions(context& ctx);      // W101, W102, W103
void check_terminate_status(context& ctx);  // W104
void check_unused(context& ctx);            // W105, W106
void check_required_fields(context& ctx);   // W107

}  // namespace wfrun::check_detail

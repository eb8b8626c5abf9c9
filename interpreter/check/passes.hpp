// The check passes and what they share. check() in check.cpp runs the passes in order; each pass
// is one lint rule (or a family of rules with one subject) and reports with its own codes
// (docs/lint-codes.md). The passes read a workflow's chain as a list of events with named chains
// expanded in place, so every rule sees a chain as the engine will run it; the list is built
// once per workflow and shared by the passes.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "interpreter/catalog/catalog.hpp"
#include "interpreter/catalog/step_finder.hpp"
#include "interpreter/catalog/walk.hpp"

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

// A workflow as the passes see it.
struct workflow_info {
    const std::string* name = nullptr;
    const ast::workflow_decl* decl = nullptr;
    const workflow_def* def = nullptr;  // nullptr when it did not resolve
    bool too_large = false;             // E113, reported once; the chain passes leave it out
    bool too_deep = false;              // E118, likewise
    std::size_t size = 0;               // elements its chain expands to (E113; sizes `events`)
    std::vector<chain_event> events;    // the expanded chain, see context::events
    bool expanded = false;

    // Whether the passes that follow the chain look at this workflow.
    bool walkable() const { return def != nullptr && !too_large && !too_deep; }
};

// What every pass gets: the catalog, the registry and the workflows in name order.
struct context {
    catalog& c;
    const registry& reg;
    std::vector<workflow_info> workflows;
    step_finders steps{reg};

    std::set<std::string> reported;  // a named chain used many times is reported once

    // Adds a diagnostic unless the same one (place, code, message) was added before.
    void report(const ast::position& pos, severity level, const char* code, std::string message);
    // The chain of a walkable workflow with named chains expanded: each step, input and
    // condition in order. Names that do not resolve are left out (resolve reports them); a chain
    // that uses itself is expanded once. Computed on first use, for all the passes.
    const std::vector<chain_event>& events(workflow_info& w);
};

// Builtin steps that lock or unlock the subscription, or set its lifecycle: they change the
// subscription without setting any of its fields.
bool is_lock_step(std::string_view name);  // unsync, unsync_unchecked, create_subscription
bool writes_subscription(const step_entry& entry);

// The passes, in the order check() runs them.
void check_expansion(context& ctx);         // E113
void check_nesting(context& ctx);           // E118 (blocks and named chains)
void check_init_done(context& ctx);         // E106
void check_duplicate_fields(context& ctx);  // E107 (fields)
void check_options(context& ctx);           // E105, E119 (retry/timeout)
void check_form_fields(context& ctx);       // E114, E115, E116, E117
void check_state_keys(context& ctx);        // E111
void check_form_paths(context& ctx);        // E112
void check_lock_regions(context& ctx);      // W101, W102, W103
void check_terminate_status(context& ctx);  // W104
void check_unused(context& ctx);            // W105, W106
void check_required_fields(context& ctx);   // W107

}  // namespace wfrun::check_detail

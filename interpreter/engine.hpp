// The engine: starts processes through the form protocol and runs their planned steps durably,
// one store transaction per step (the step's own writes, the subscription it returns, its log
// row and the process row commit together, or not at all). Semantics follow orchestrator-core's
// runwf: a step's result is merged shallowly into the state, a failure stops the process where
// it can be retried, an input step suspends it, `done` completes it.
//
// The engine keeps no global state: everything it needs is passed in, so several engines (on
// several stores) can live in one program.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <wfrun/step.hpp>

#include "interpreter/catalog.hpp"
#include "interpreter/forms.hpp"
#include "interpreter/store.hpp"

namespace wfrun {

// Failures injected for tests and rehearsals: `STEP=fail`, `STEP=fail*N`, `STEP=crash`,
// `STEP=delay:500ms`, several separated by commas (the WFRUN_FAULT environment variable).
struct fault {
    enum class kind { fail, crash, delay };
    kind k = kind::fail;
    int remaining = -1;  // fail*N: failures left; -1 for always
    std::int64_t delay_ms = 0;
};
using fault_plan = std::map<std::string, fault, std::less<>>;
// Throws std::invalid_argument naming the bad entry.
fault_plan parse_faults(std::string_view spec);

struct engine_options {
    std::string reporter = "wfrun";
    std::string owner;  // "host:pid" of this program; filled in by the engine when empty
    fault_plan faults;
};

// The outcome of submitting form pages to start a workflow. Nothing is written by it.
struct form_outcome {
    enum class kind { complete, not_complete, invalid, refused };
    kind k = kind::complete;
    json state = json::object();  // complete: what the pages put into the state
    json form;                    // not_complete: the next page's JSON schema
    json meta;                    // not_complete: {"hasNext": ...}
    std::optional<form_page> page;  // not_complete: the next page, for interactive prompting
    std::vector<field_error> errors;  // invalid
    std::string message;              // refused: "This workflow cannot be started: ..."
};

// Called after each step row is committed.
using step_observer = std::function<void(const step_row&)>;

class engine {
public:
    engine(store& s, const catalog& c, const registry& r, engine_options options = {});

    // The start protocol: validates `pages` (a JSON list) against the workflow's pages in order.
    form_outcome post_form(const workflow_plan& plan, const json& pages);

    // Creates a process from a complete form's state and runs it until it stops.
    process_row start(const workflow_plan& plan, const json& form_state,
                      const step_observer& observe = {});

    // The workflow's plan for a process, or nullptr when its workflow is no longer in the catalog.
    const workflow_plan* plan_of(const process_row& p) const;

    // The state a process would continue from and the index of its next planned step.
    struct recovery {
        json state;
        std::size_t next = 0;
    };
    recovery recover(const process_row& p);

    // Runs a process's remaining steps from `r` until it completes or stops.
    process_row run(process_row p, recovery r, const step_observer& observe = {});

    // Aborts a process that has not ended: a `User Aborted` row with the recovered state, status
    // `aborted`. The subscription stays locked; set-in-sync releases it.
    process_row abort(process_row p);

    store& storage() { return store_; }
    const catalog& catalog_ref() const { return catalog_; }

private:
    // Runs one planned step in its own transaction; false when the process stops here.
    bool run_step(process_row& p, const planned_step& s, json& state, const step_observer& observe);
    void record_failure(process_row& p, const planned_step& s, const std::string& started,
                        const std::string& class_name, const std::string& message,
                        const step_observer& observe);

    store& store_;
    const catalog& catalog_;
    const registry& registry_;
    engine_options options_;
};

}  // namespace wfrun

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
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <wfrun/step.hpp>

#include "interpreter/catalog/catalog.hpp"
#include "interpreter/forms/forms.hpp"
#include "interpreter/store/store.hpp"

namespace wfrun {

// Failures injected for tests and rehearsals: `STEP=fail`, `STEP=fail*N`, `STEP=crash`,
// `STEP=delay:500ms`, several separated by commas (the WFRUN_FAULT environment variable). N is
// a whole number from 1 to 1,000,000; a delay is at most 365 days (max_duration_ms).
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
    // A `running` process owned by a program on another host is orphaned when its heartbeat
    // (written with every step) is older than this. On this host a dead owner is seen at once.
    std::int64_t heartbeat_timeout_ms = 5 * 60 * 1000;
};

// The engine refused a start, a resume or an abort; the message is for the user and nothing
// was written.
class refusal : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// orchestrator-core's 503 while the engine is paused.
inline constexpr const char* engine_locked_message =
    "Engine is locked cannot accept changes on processes at this time";

// Whether start() re-checks the start-time admission rules (in the transaction that creates
// the process and links it to its subscription). Skipping it is for tests that exercise the
// steps' own guards.
enum class admission { check, skip };

// The outcome of resuming a process. Refusals are thrown as `refusal`.
struct resume_outcome {
    enum class kind { resumed, not_complete, invalid };
    kind k = kind::resumed;
    process_row process;              // resumed: the process where it stopped
    json form;                        // not_complete: the input form's JSON schema
    json meta;                        // not_complete: {"hasNext": false}
    std::optional<form_page> page;    // not_complete: the page, for interactive prompting
    std::vector<field_error> errors;  // invalid
};

// What `resume --due` did to one process.
struct due_action {
    std::string process_id;
    std::string workflow_name;
    std::string action;  // "retried" (a waiting process) or "timed out" (a suspended one)
    process_status status = process_status::running;  // the process's status afterwards
};

// orchestrator-core's engine status: RUNNING (not locked), PAUSING (locked, processes still
// running a step), PAUSED (locked, none).
enum class engine_status { running, pausing, paused };
std::string_view to_string(engine_status s);

// The outcome of submitting form pages to start a workflow. Nothing is written by it.
struct form_outcome {
    enum class kind { complete, not_complete, invalid, refused };
    kind k = kind::complete;
    json state = json::object();      // complete: what the pages put into the state
    json form;                        // not_complete: the next page's JSON schema
    json meta;                        // not_complete: {"hasNext": ...}
    std::optional<form_page> page;    // not_complete: the next page, for interactive prompting
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

    // Creates a process from a complete form's state and runs it until it stops. With
    // admission::check the start is refused (throws `refusal`) while the engine is paused or
    // when the subscription may not be started on now: the check, the new process row and its
    // link to the subscription commit in one transaction, so of two racing starts on one
    // subscription exactly one gets through.
    process_row start(const workflow_plan& plan, const json& form_state,
                      const step_observer& observe = {}, admission a = admission::check);

    // The workflow's plan for a process, or nullptr when its workflow is no longer in the catalog.
    const workflow_plan* plan_of(const process_row& p) const;

    // The state a process would continue from and the index of its next planned step.
    struct recovery {
        json state;
        std::size_t next = 0;
        bool suspended = false;  // the last row is the `suspend` of the next step
    };
    recovery recover(const process_row& p);

    // Runs a process's remaining steps from `r` until it completes or stops. Each step first
    // checks that the process is still this program's (not aborted, not taken over).
    process_row run(process_row p, recovery r, const step_observer& observe = {});

    // The page a suspended process waits for, built with its state as the form's context;
    // nullopt when it is not waiting for input.
    std::optional<form_page> waiting_form(const process_row& p);

    // Resumes a process: a suspended one with `pages` (a JSON list with the input form's page,
    // or the page itself), validated against its form and deep-merged into the state; a
    // failed or waiting one re-runs its failing step from the last good state; a running one
    // only when it is orphaned. Throws `refusal` ("Resuming a <status> workflow is not
    // possible", the engine lock, a changed workflow) without writing anything.
    resume_outcome resume(const std::string& process_id, const json& pages,
                          const step_observer& observe = {});

    // Retries every waiting process whose next attempt is due, and applies `then` to every
    // suspended process whose input timeout has passed.
    std::vector<due_action> resume_due(const step_observer& observe = {});

    // Aborts a process that has not ended: a `User Aborted` row with the recovered state, status
    // `aborted`. The subscription stays locked; set-in-sync releases it. A program still running
    // the process stops before its next step.
    process_row abort(process_row p);

    // A `running` process whose owner is gone: a dead program on this host, no owner at all (a
    // process parked by a pause), or a heartbeat older than the timeout.
    bool orphaned(const process_row& p) const;

    // Why resuming `p` on its current plan would be wrong (the executed steps no longer match
    // the workflow's steps); nullopt when the executed prefix maps onto the plan.
    std::optional<std::string> definition_mismatch(const process_row& p);

    // Engine pause: the global lock stops processes between steps; unpause() lifts it and
    // continues the `running` processes that no program owns any more.
    engine_status status();
    void pause();
    std::vector<process_row> unpause(const step_observer& observe = {});

    store& storage() { return store_; }
    const catalog& catalog_ref() const { return catalog_; }

  private:
    // Runs one planned step in its own transaction; false when the process stops here.
    bool run_step(process_row& p, const planned_step& s, json& state, const step_observer& observe);
    void record_failure(process_row& p, const planned_step& s, const std::string& started,
                        const std::string& class_name, const std::string& message,
                        const step_observer& observe);
    // A suspended process whose input timed out: a failed row, then `then` (fail or abort).
    process_row time_out(process_row p, const planned_step& s);
    // The subscriptions a `subscription(...)` form field offers.
    subscription_choices choices();
    // Still ours to run: not ended, and not claimed by anyone since we claimed it (same epoch).
    // Inside a transaction.
    bool still_ours(const process_row& p);
    // Writes `p` fenced by its epoch and commits; false (rolled back, `p` reloaded) when another
    // program claimed the process meanwhile.
    bool commit_claimed(process_row& p);

    store& store_;
    const catalog& catalog_;
    const registry& registry_;
    engine_options options_;
};

}  // namespace wfrun

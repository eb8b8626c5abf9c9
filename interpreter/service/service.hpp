// The operations every front end calls: one function per query or command a user can make,
// each returning data in orchestrator-core's shapes (the JSON of its REST API, see shapes.hpp)
// or the engine's outcome types where a front end must act on the outcome (the form protocol,
// a resume that needs input). Refusals are thrown as service::error, whose kind says how a
// front end reports it (errors.hpp); nothing is written by a refused call.
//
// The command line (cli/) parses arguments, prompts and prints around these calls; the HTTP
// server maps one route to one call.
#pragma once

#include <cstddef>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "interpreter/engine/batch.hpp"
#include "interpreter/engine/engine.hpp"
#include "interpreter/service/errors.hpp"
#include "interpreter/service/runtime.hpp"
#include "interpreter/service/shapes.hpp"

namespace wfrun::service {

// --- Starting processes ---

// The plan of a workflow in the catalog. Throws not_found ("unknown workflow 'x'; did you mean
// 'y'?").
const workflow_plan& find_workflow(runtime& rt, const std::string& workflow);
// The not_found error for a workflow the catalog does not have, naming the closest one.
error unknown_workflow(const catalog& cat, const std::string& workflow);

// Whether the engine is paused (its global lock is set).
bool engine_locked(runtime& rt);
// Throws engine_locked while the engine is paused.
void require_unlocked(runtime& rt);

// The start protocol, page by page: validates `pages` (a JSON list) against the workflow's form
// pages in order and says whether the form is complete, which page comes next, which fields are
// invalid, or why the workflow may not start. Writes nothing. Throws not_found.
form_outcome post_form(runtime& rt, const std::string& workflow, const json& pages);

// Creates a process from a complete form's state and runs it until it stops. Throws
// engine_locked, and precondition_failed when the subscription may not be started on now (the
// check commits with the new process, so of two racing starts exactly one gets through).
process_row start_process(runtime& rt, const workflow_plan& plan, const json& form_state,
                          const step_observer& observe = {});

// POST /api/processes/{workflow} in one call: the engine lock, the form protocol, the start.
// `process` is set when a process was started; otherwise `form` says which page is missing
// (not_complete) or which fields are wrong (invalid). Throws not_found, engine_locked and
// precondition_failed (the form's refusal or the start's).
struct start_result {
    form_outcome form;
    std::optional<process_row> process;
};
start_result start(runtime& rt, const std::string& workflow, const json& pages,
                   const step_observer& observe = {});

// One process per non-blank line of `input` (see engine/batch.hpp).
batch_summary start_batch(runtime& rt, const workflow_plan& plan, std::istream& input,
                          const batch_options& options, const batch_observer& observe,
                          const batch_commit_observer& committed = {});

// --- Processes ---

// A process's row. Throws not_found ("no process <id>").
process_row find_process(runtime& rt, const std::string& process_id);

// GET /api/processes/{id}: the row and its body with steps, form, current_state and
// subscriptions. Throws not_found.
struct process_view {
    process_row row;
    json body;
};
process_view show_process(runtime& rt, const std::string& process_id);

// GET /api/processes/: the processes that pass `filter`, newest first, each without steps,
// form and current state (but with `orphaned`).
json list_processes(runtime& rt, const process_filter& filter);

// GET /api/processes/status-counts: {"process_counts": {status: n}, "task_counts": {...}}.
json status_counts(runtime& rt);

// The page a suspended process waits for; nullopt when it waits for none.
std::optional<form_page> waiting_form(runtime& rt, const process_row& p);

// PUT /api/processes/{id}/resume: a suspended process with its input page (an outcome of
// not_complete or invalid when the page is missing or wrong), a failed or waiting one by
// re-running its failing step. Throws not_found, engine_locked, conflict ("Resuming a
// completed workflow is not possible", a changed workflow) and invalid_input (a form that no
// longer fits the process's state).
resume_outcome resume(runtime& rt, const std::string& process_id, const json& pages,
                      const step_observer& observe = {});

// Retries every waiting process whose next attempt is due and times out expired waits.
// Throws engine_locked.
std::vector<due_action> resume_due(runtime& rt, const step_observer& observe = {});

// PUT /api/processes/{id}/abort. Throws not_found, and conflict for a process that ended.
process_row abort(runtime& rt, const std::string& process_id);

// --- Engine ---

// GET /api/settings/status: {"global_lock", "global_status", "running_processes"}, where
// running processes are the `running` ones a live program still owns.
json engine_status(runtime& rt);
// PUT /api/settings/status {"global_lock": true}.
void pause_engine(runtime& rt);
// PUT /api/settings/status {"global_lock": false}: lifts the lock and continues the running
// processes no program owns any more; returns them where they stopped.
std::vector<process_row> resume_engine(runtime& rt, const step_observer& observe = {});

// --- Products and the catalog ---

// GET /api/products/: every product with the names of its workflows.
json products(runtime& rt);
// GET /api/products/{id}. Throws not_found ("Product id <id> not found").
json product(runtime& rt, const std::string& product_id);

// The diagnostics of the `.wf` files under `paths` (files, or folders searched recursively).
struct lint_result {
    std::size_t files = 0;
    std::vector<diagnostic> diagnostics;  // sorted by file and line
    bool ok() const { return !has_errors(diagnostics); }
};
lint_result lint(const registry& steps, const std::vector<std::string>& paths);
// A workflow's steps drawn for Graphviz (`format` "dot") or Mermaid ("mermaid"). Needs no store.
// Throws invalid_input for another format and not_found ("unknown workflow 'x'; did you mean
// 'y'?").
std::string workflow_graph(const catalog& cat, const registry& steps, const std::string& workflow,
                           const std::string& format);
// [{file, line, column, severity, code, message}]
json diagnostics_json(const std::vector<diagnostic>& diagnostics);

// --- Subscriptions ---

// Subscription rows (SubscriptionSchema) that pass `filter`.
json subscriptions(runtime& rt, const subscription_filter& filter);

// GET /api/subscriptions/domain-model/{id}: the subscription with its product and one key per
// product block, plus `in_use_by` and `depends_on`. Throws not_found ("Subscription <id> not
// found").
json subscription_domain_model(runtime& rt, const std::string& subscription_id);

// The workflows of the subscription's product other than CREATE ones, each as {name, target,
// description, allowed} and, when it may not start now, `reason` and the subscriptions that
// block it (`blocked_by`). Throws not_found.
json subscription_workflows(runtime& rt, const std::string& subscription_id);

// GET /api/subscriptions/workflows/{id}: the same workflows in orchestrator-core's lists, one
// per target ({"create": [], "modify": [...], "terminate": [...], "system": [], "reconcile": [],
// "validate": []}), each item {name, description} with `reason` when it may not start now.
// Throws not_found.
json subscription_workflow_lists(runtime& rt, const std::string& subscription_id);

// PUT /api/subscriptions/{id}/set_in_sync: marks the subscription in sync. Throws not_found,
// and conflict while a live process (one that is not a task and has not completed or been
// aborted) holds it; the error's detail lists those processes.
void set_in_sync(runtime& rt, const std::string& subscription_id);

// --- The database itself ---

// A problem `check_database` found: `check` says which (storage: the backend's own check of its
// files; steps, subscriptions, json: wfrun's invariants), `message` what is wrong.
struct database_problem {
    std::string check;
    std::string message;
};

// Every problem of the database behind `s`: the backend's check of its files, then, over one read
// snapshot (processes may run meanwhile), wfrun's invariants: every step row's process exists,
// every subscription a live process has locked (unsync, not yet resync) is out of sync, every
// stored state parses as JSON. Empty when the database is sound. Writes nothing.
std::vector<database_problem> check_database(store& s);

// A consistent copy of the database behind `s`, taken while processes run, written whole to
// `destination` (replaced only when `overwrite`). Throws invalid_input when it exists or cannot be
// written.
void backup_database(store& s, const std::string& destination, bool overwrite);

}  // namespace wfrun::service

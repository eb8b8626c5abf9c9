// The one interface between the engine and durable storage. The SQLite store (sqlite_store.hpp)
// is the embedded default; another database implements the same class. Tables mirror
// orchestrator-core's: processes, process_steps, input_states, processes_subscriptions,
// subscriptions, products, product_blocks, resource_types, fixed_inputs,
// subscription_instances, subscription_instance_values, subscription_instance_relations,
// workflows, engine_settings.
//
// Writes happen inside a transaction the caller opens with begin(); the engine opens one per step
// so that a step's writes and its log row commit together. Reads may happen outside one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <wfrun/step.hpp>

#include "interpreter/domain/model.hpp"
#include "interpreter/domain/status.hpp"

namespace wfrun {

// A store refused an operation: an unknown id, a catalog change that would orphan data, a
// database it cannot open. The message is meant for the user.
class store_error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct product_row {
    std::string product_id;
    std::string name;
    std::string description;
    std::string product_type;
    std::string tag;
    std::string status;
};

struct process_row {
    std::string process_id;
    std::string workflow_name;
    workflow_target target = workflow_target::create;
    process_status last_status = process_status::created;
    std::string last_step;
    std::string started_at;
    std::string last_modified_at;
    std::string failed_reason;
    std::string traceback;
    std::string created_by;
    std::string assignee = "SYSTEM";
    bool is_task = false;
    std::string definition;    // hash of the workflow definition the process runs
    std::string owner;         // "host:pid" of the wfrun running it, empty when none
    std::string heartbeat_at;  // last sign of life of the owner
};

struct step_row {
    std::int64_t seq = 0;  // insertion order, assigned by the store; rows sort by it
    std::string step_id;
    std::string process_id;
    std::string name;      // display name, e.g. "Lock subscription"
    std::string step_key;  // stable identity of the planned step it ran
    step_status status = step_status::success;
    json state;            // the full state after the step, or {class, error} on failure
    std::string created_by;
    std::string started_at;
    std::string completed_at;
};

struct process_filter {
    std::optional<process_status> status;
    std::optional<std::string> workflow;
    std::size_t limit = 0;  // 0: all; newest first
};

struct subscription_row {
    std::string subscription_id;
    std::string description;
    std::string status;
    bool insync = false;
    std::string customer_id;
    std::optional<std::string> start_date;
    std::optional<std::string> end_date;
    std::optional<std::string> note;
    std::int64_t version = 0;
    product_row product;
};

struct subscription_filter {
    std::optional<std::string> product_type;
    std::optional<std::string> status;
};

class store {
  public:
    virtual ~store() = default;

    // Transactions. begin() takes the write lock at once (BEGIN IMMEDIATE on SQLite), so a
    // read followed by a write inside it can not race another writer. Not nested.
    virtual void begin() = 0;
    virtual void commit() = 0;
    virtual void rollback() = 0;
    virtual bool in_transaction() const = 0;

    // Group commit. Between begin_group() and commit_group() the transactions above become
    // savepoints of one outer transaction: a step's writes still commit or roll back together,
    // but they reach the disk (and other programs) only with commit_group(), in one write for
    // many steps. Nothing may be reported done before commit_group() returns.
    // rollback_group() undoes everything since begin_group().
    virtual void begin_group() = 0;
    virtual void commit_group() = 0;
    virtual void rollback_group() = 0;
    virtual bool in_group() const = 0;

    // Catalog. Brings products, blocks, resource types, fixed inputs, workflows and their links
    // in line with `model` and keeps it for the domain calls below. Refuses, with a message
    // naming what would be orphaned, to remove a product or block that subscriptions use.
    virtual void sync_catalog(const catalog_model& model) = 0;
    virtual std::vector<product_row> products() = 0;
    virtual std::optional<product_row> product(const std::string& product_id) = 0;
    // Workflow names linked to the product (every workflow whose product_type matches).
    virtual std::vector<std::string> product_workflows(const std::string& product_id) = 0;
    // Statements the registry's steps need for their own tables.
    virtual void run_schema(const std::vector<std::string>& statements) = 0;

    // Subscriptions as domain models (see wfrun/step.hpp for the shape). load() returns
    // nullopt for an unknown id. save() writes the subscription row, its own block instances
    // and values, and links (never writes) blocks owned by other subscriptions; instances the
    // model no longer references are deleted. create() stores a new `initial` subscription.
    virtual std::optional<json> load_subscription(const std::string& subscription_id) = 0;
    virtual void save_subscription(const json& model) = 0;
    virtual json create_subscription(const std::string& product_id,
                                     const std::string& customer_id) = 0;
    virtual std::optional<subscription_row> subscription(const std::string& subscription_id) = 0;
    virtual std::vector<subscription_row> subscriptions(const subscription_filter& filter) = 0;
    // Subscriptions holding a block that references one of this subscription's blocks.
    virtual std::vector<subscription_row> in_use_by(const std::string& subscription_id) = 0;
    // Subscriptions owning a block that this subscription's blocks reference.
    virtual std::vector<subscription_row> depends_on(const std::string& subscription_id) = 0;
    virtual void set_insync(const std::string& subscription_id, bool insync) = 0;

    // Processes and their step log.
    virtual void insert_process(const process_row& p) = 0;
    // Writes every column of `p` but process_id, started_at and workflow_name.
    virtual void update_process(const process_row& p) = 0;
    virtual std::optional<process_row> process(const std::string& process_id) = 0;
    virtual std::vector<process_row> processes(const process_filter& filter) = 0;
    // Appends a row and returns its seq.
    virtual std::int64_t insert_step(const step_row& s) = 0;
    virtual std::vector<step_row> steps(const std::string& process_id) = 0;
    // The latest row of a process, or nullopt when it has none.
    virtual std::optional<step_row> last_step(const std::string& process_id) = 0;
    // Rewrites the status, state and completed_at of the row `s.seq` (a repeated identical
    // failure is counted in the row it repeats, as orchestrator-core does).
    virtual void update_step(const step_row& s) = 0;
    // Takes a process over: sets it `running` under `owner` (with `heartbeat_at`) only when it
    // is still in `expected_status` under `expected_owner` ("" for none). False when another
    // program got there first. Call it inside begin(), after the checks it depends on.
    virtual bool claim_process(const std::string& process_id, process_status expected_status,
                               const std::string& expected_owner, const std::string& owner,
                               const std::string& heartbeat_at) = 0;
    virtual void insert_input_state(
        const std::string& process_id, const json& input,
        const std::string& input_type) = 0;  // initial_state, user_input
    virtual std::optional<json> last_input_state(const std::string& process_id) = 0;
    virtual void link_process_subscription(const std::string& process_id,
                                           const std::string& subscription_id,
                                           workflow_target target) = 0;
    virtual std::vector<std::string> process_subscriptions(const std::string& process_id) = 0;
    virtual std::vector<process_row> subscription_processes(const std::string& subscription_id) = 0;

    // Engine settings: the global lock that pauses every process between steps.
    virtual bool global_lock() = 0;
    virtual void set_global_lock(bool locked) = 0;

    // The steps' own tables, in the current transaction.
    virtual sql_session& sql() = 0;
};

}  // namespace wfrun

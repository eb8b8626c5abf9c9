// The rows the store interfaces trade in, shared by every backend: processes and their step log,
// products and subscriptions as listed, and the filters of the listings. Tables mirror
// orchestrator-core's: processes, process_steps, input_states, processes_subscriptions,
// subscriptions, products, product_blocks, resource_types, fixed_inputs, subscription_instances,
// subscription_instance_values, subscription_instance_relations, workflows, engine_settings.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include <wfrun/step.hpp>

#include "interpreter/domain/status.hpp"

namespace wfrun {

// A store refused an operation: an unknown id, a catalog change that would orphan data, a
// database it cannot open. The message is meant for the user.
class store_error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The database's files are damaged (a malformed page, a write-ahead log whose commits cannot all
// be read back): the store stopped before writing anything into them. The message names the
// file. What can still be read is saved with a backup (store_care.hpp), never by writing on.
class damaged_store_error : public store_error {
  public:
    using store_error::store_error;
};

// A write that a store opened for reading only cannot do: the file (or its folder) is read-only,
// or the caller asked for reading only. The message names the file.
class read_only_store_error : public store_error {
  public:
    using store_error::store_error;
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
    // Claim counter: 1 when the process is created, incremented by every claim_process(). A
    // holder's writes commit only while the epoch it claimed is still the row's (see
    // process_log.hpp).
    std::int64_t epoch = 0;
};

struct step_row {
    std::int64_t seq = 0;  // insertion order, assigned by the store; rows sort by it
    std::string step_id;
    std::string process_id;
    std::string name;      // display name, e.g. "Lock subscription"
    std::string step_key;  // stable identity of the planned step it ran
    step_status status = step_status::success;
    json state;  // the full state after the step, or {class, error} on failure
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

}  // namespace wfrun

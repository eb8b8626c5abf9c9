// The public API for steps: what a builtin step or a user's own C++ step sees, and how it is
// registered. A step is a function of a step_context that returns the keys it adds to the state.
// It is registered with a manifest (display name, parameters, state keys read and written) that
// the linter and the engine both use, so nothing about a step is known only at run time.
//
// A program registers its steps through an explicit function, never through static
// initialisers:
//
//     void register_my_steps(wfrun::registry& r) {
//         r.add({.name = "deprovision_user_group",
//                .display_name = "Deprovision user group",
//                .product_type = "UserGroup",
//                .reads = {{"subscription", wfrun::value_type::subscription}}},
//               [](wfrun::step_context& ctx) -> wfrun::json { ...; return nullptr; });
//     }
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace wfrun {

// Objects keep their keys in insertion order, so form fields and domain models print in the
// order they are declared.
using json = nlohmann::ordered_json;

// The types a step parameter or a state key can have. `target` and `lifecycle` are enums whose
// values are written bare (`TERMINATED`) or qualified (`SubscriptionLifecycle.TERMINATED`) in a
// chain; the step receives the lower-case lifecycle value (`terminated`) or the target name
// (`TERMINATE`). A `subscription` state key holds a subscription id (or an object with a
// `subscription_id`): the engine loads the subscription from the store before the step runs and
// saves the subscription a step returns under that key.
enum class value_type {
    any,
    string,
    integer,
    boolean,
    duration,
    target,
    lifecycle,
    subscription,
    list,
    object
};

std::string_view to_string(value_type t);

struct param_spec {
    std::string name;
    value_type type = value_type::string;
    bool required = true;
};

struct key_spec {
    std::string name;
    value_type type = value_type::any;
    bool optional = false;  // reads: may be missing; writes: may not be written
};

struct step_manifest {
    std::string name;                // the name written in chains: `deprovision_user_group`
    std::string display_name;        // the step row's name; `{param}` inserts an argument
    std::string product_type;        // only for workflows of this product type; empty: any
    std::vector<param_spec> params;  // in call order
    std::vector<key_spec> reads;     // state keys the step reads
    std::vector<key_spec> writes;    // state keys the step returns
    bool retry = false;              // a failure leaves the process `waiting`, not `failed`
    std::string description;         // one line for people
};

// A failure with the class name that goes into the step row's `{class, error}`.
class step_error : public std::runtime_error {
  public:
    step_error(std::string class_name, const std::string& message)
        : std::runtime_error(message), class_name_(std::move(class_name)) {}
    const std::string& class_name() const { return class_name_; }

  private:
    std::string class_name_;
};

// `ValueError` / `KeyError`, as orchestrator-core's steps raise them.
step_error value_error(const std::string& message);
step_error key_error(const std::string& message);

// Statements and queries on the step's own tables: whatever a step writes here commits together
// with its log row, or not at all. A step's code runs without the store's write lock, so that a
// slow step holds up no other process or command: its statements wait, in order, until the
// step's transaction opens when its code returns. A query after a statement of the same step
// opens that transaction first, so that it sees the step's own writes (and from then on the
// step holds the lock); a query before any statement reads what is committed. Rows come back as
// objects keyed by column name.
//
// The placeholder style, the same on every store backend: one bare `?` per parameter, bound to
// `params` in order (`WHERE a = ? AND b = ?` with {a, b}). Numbered or named placeholders (`?1`,
// `:name`, `@name`, `$1`, `$name`) are refused with an error; each backend translates `?` to its
// own (SQLite takes it as it is, PostgreSQL as `$1`, `$2`, ...), and a `?` inside a string
// literal, a quoted identifier or a comment is left alone. Strings, integers, floats, booleans
// and null are accepted as parameters. One statement per call; keep to SQL that every backend
// reads (no `INSERT OR ...`, no SQLite-only functions) so that a step runs on any of them.
class sql_session {
  public:
    virtual ~sql_session() = default;
    virtual void exec(std::string_view sql, const std::vector<json>& params = {}) = 0;
    virtual std::vector<json> query(std::string_view sql, const std::vector<json>& params = {}) = 0;
};

// Subscriptions as domain models (JSON objects shaped as orchestrator-core's domain model):
// `subscription_id`, `description`, `status`, `insync`, `customer_id`, `start_date`, `end_date`,
// `note`, `product`, fixed inputs, and the root block under its field name.
class subscriptions {
  public:
    virtual ~subscriptions() = default;
    // The subscription as it is stored now; throws value_error when it does not exist.
    virtual json load(std::string_view subscription_id) = 0;
    // A new subscription of `product_id`: `initial`, out of sync, empty blocks, fixed inputs
    // copied, description `Initial subscription of <product description>`. It is stored. An
    // empty customer id gives a fresh random one.
    virtual json create(std::string_view product_id, std::string_view customer_id) = 0;
    // `subscription` moved to `lifecycle`: its required fields are checked, other
    // subscriptions that use it must allow the change, start_date/end_date are set on the first
    // move to active/terminated. Throws value_error naming what is wrong. Not stored until the
    // step returns it.
    virtual json change_lifecycle(const json& subscription, std::string_view lifecycle) = 0;
    // Records that process `process_id` works on `subscription_id`.
    virtual void link_process(std::string_view process_id, std::string_view subscription_id,
                              std::string_view workflow_target) = 0;
};

class step_context {
  public:
    virtual ~step_context() = default;
    // The whole state as the previous step left it.
    virtual const json& state() const = 0;
    // A state key the manifest reads. Subscription keys are loaded from the store. A missing
    // required key throws key_error("Could not find key 'x' in state."); a missing optional key
    // gives null.
    virtual const json& get(std::string_view key) = 0;
    // A step argument by parameter name; null when an optional parameter was not given.
    virtual const json& param(std::string_view name) const = 0;
    virtual std::string_view process_id() const = 0;
    virtual subscriptions& domain() = 0;
    virtual sql_session& db() = 0;
};

// What a step returns: an object whose keys are merged into the state (top-level keys
// replace; `__remove_keys` deletes keys), or null for nothing.
using step_function = std::function<json(step_context&)>;

struct step_entry {
    step_manifest manifest;
    step_function run;
};

class registration_error : public std::logic_error {
  public:
    using std::logic_error::logic_error;
};

// The steps a program knows. Entries are found by chain name, a registration for the
// workflow's product type first.
class registry {
  public:
    // Throws registration_error when the manifest is invalid: a name that is not an
    // identifier, no display name, a `{placeholder}` that names no parameter, a repeated
    // parameter or key, or the same name registered twice for the same product type.
    registry& add(step_manifest manifest, step_function run);
    // A statement that creates the steps' own tables; run whenever a store is opened, so it
    // must be idempotent (`CREATE TABLE IF NOT EXISTS`).
    registry& add_schema(std::string sql);

    const step_entry* find(std::string_view name, std::string_view product_type) const;
    bool contains(std::string_view name) const;  // for any product type
    std::vector<const step_entry*> entries() const;
    std::vector<std::string> names() const;
    const std::vector<std::string>& schemas() const { return schemas_; }

  private:
    // name -> (product type or "" -> entry); node-based so entries keep their addresses
    std::map<std::string, std::map<std::string, std::unique_ptr<step_entry>>, std::less<>> steps_;
    std::vector<std::string> schemas_;
};

// The display name with `{param}` replaced by the arguments' values.
std::string display_name(const step_manifest& m, const json& args);

}  // namespace wfrun

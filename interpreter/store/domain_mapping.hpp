// Subscriptions between their domain model (a JSON object shaped as orchestrator-core's) and the
// rows orchestrator-core stores them in, for every backend: one subscription_instances row per
// block, its resources as text in subscription_instance_values, and nested blocks as
// subscription_instance_relations (in_use_by = parent, depends_on = child). A backend reads the
// rows into stored_blocks and calls build_subscription_model(); to save, it asks plan_save() and
// diff_subscription() what to write and writes exactly that. The catalog model kept from the last
// sync (catalog_index) types the values again on load.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <wfrun/step.hpp>

#include "interpreter/domain/model.hpp"
#include "interpreter/store/rows.hpp"

namespace wfrun {

// The catalog model as synced, with the ids the database gave its rows. Built whole and then
// swapped in, so the pointers into `model` stay valid.
struct catalog_index {
    catalog_model model;
    std::unordered_map<std::string, const product_def*> product_by_id;
    std::unordered_map<std::string, product_row> product_rows;  // by product_id
    std::unordered_map<std::string, std::string> block_ids;     // name -> product_block_id
    std::unordered_map<std::string, const block_def*> block_by_id;
    std::unordered_map<std::string, std::string> resource_ids;    // resource_type -> id
    std::unordered_map<std::string, std::string> resource_names;  // id -> resource_type

    // Fills the maps from the stored rows: every product row (those the model does not name map
    // to nullptr), the block ids by name and the resource type ids by name.
    void index(std::vector<product_row> products, const std::map<std::string, std::string>& blocks,
               const std::map<std::string, std::string>& resources);
    // The product definition of a stored product id; store_error when the catalog lacks it.
    const product_def& product_of(const std::string& product_id, const std::string& what) const;
};

// Refuses a model the tables cannot represent: unknown blocks, repeated names, field names that
// clash with a block's own keys, fixed inputs that clash with a subscription's keys.
void validate_catalog_model(const catalog_model& model);

// The `product` member of a subscription model.
json product_model_json(const product_row& p);

// A resource value as stored: strings as they are, integers in decimal, booleans as
// "true"/"false". Throws store_error naming `block.field` when the value has the wrong type.
std::string resource_value_text(const block_def& block, const field_def& field, const json& v);
// The stored text typed by the field; text that does not parse stays a string.
json typed_resource_value(const field_def& field, std::string_view text);

// A row of subscription_instance_relations.
struct instance_relation {
    std::string in_use_by_id;
    std::string depends_on_id;
    std::string attr;
    std::int64_t order_id = 0;
    auto operator<=>(const instance_relation&) const = default;
};

struct stored_instance {
    std::string subscription_id;
    std::string block_id;
    std::optional<std::string> label;
    std::vector<std::pair<std::string, std::string>> values;  // resource_type_id, text
};

// The rows a subscription model is built from: its own instances, every instance of another
// subscription they reach, and the relations from all of them.
struct stored_blocks {
    std::unordered_map<std::string, stored_instance> instances;
    std::multimap<std::string, instance_relation> children;  // by in_use_by_id
    // The instances one of the subscription's own instances depends on (its root is none).
    std::unordered_set<std::string> owned_children;
};

// The domain model of the subscription `row` from its rows. Throws store_error when the catalog
// does not know its product.
json build_subscription_model(const catalog_index& c, const subscription_row& row,
                              const stored_blocks& blocks);

// A new `initial` subscription of `product_id`, not stored: fresh ids, empty blocks (an empty
// instance for every nested block, as orchestrator-core creates them), fixed inputs copied.
json new_subscription_model(const catalog_index& c, const std::string& product_id,
                            const std::string& customer_id);

// What a model's block tree writes: the instances the subscription owns, their values, the
// relations from them, and the blocks of other subscriptions it links.
struct block_plan {
    struct instance {
        std::string id;
        std::string block_id;
        std::optional<std::string> label;
    };
    struct value {
        std::string instance_id;
        std::string resource_type_id;
        std::optional<std::string> text;  // nullopt: no row
    };
    std::vector<instance> instances;  // owned by the subscription
    std::vector<value> values;
    std::set<instance_relation> relations;                    // from the subscription's instances
    std::unordered_set<std::string> kept;                     // owned instance ids in the model
    std::vector<std::pair<std::string, std::string>> linked;  // foreign id, claimed owner
};

// A subscription model checked and taken apart into its columns and its block plan.
struct subscription_save {
    std::string subscription_id;
    std::string product_id;
    std::string description;
    std::string status;
    bool insync = false;
    std::string customer_id;
    std::optional<std::string> start_date;
    std::optional<std::string> end_date;
    std::optional<std::string> note;
    block_plan blocks;
};

// The `subscription_id` of a model; store_error when it has none.
std::string model_subscription_id(const json& model);
// Validates `model` against the catalog and plans its writes. `stored_product` is the product of
// the stored subscription (nullopt for a new one); the model's own product wins when it names
// one. Nothing is written; every error is a store_error.
subscription_save plan_save(const catalog_index& c, const json& model,
                            const std::optional<std::string>& stored_product);

// The rows of a subscription as stored, to compare a plan with.
struct stored_subscription_rows {
    // instance id -> block id, label
    std::unordered_map<std::string, std::pair<std::string, std::optional<std::string>>> owned;
    std::map<std::pair<std::string, std::string>, std::string> values;  // (instance, type) -> text
    std::set<instance_relation> relations;
};
// The rows of the model `loaded` as load returned it; nullopt when it does not plan (odd stored
// data: read the rows instead).
std::optional<stored_subscription_rows> rows_of_loaded(const catalog_index& c, const json& loaded);

// What to write to turn `stored` into `plan`, in the order it must be written: instances,
// values, the check of linked blocks, relations removed, relations added, owned instances the
// model no longer references (each after checking no other subscription uses it).
struct subscription_writes {
    std::vector<block_plan::instance> insert_instances;
    std::vector<block_plan::instance> update_instances;
    std::vector<block_plan::value> insert_values;
    std::vector<block_plan::value> update_values;
    std::vector<block_plan::value> delete_values;
    std::vector<std::pair<std::string, std::string>> linked;  // must exist: id, owner
    std::vector<instance_relation> delete_relations;
    std::vector<instance_relation> insert_relations;
    std::vector<std::string> remove_instances;
};
subscription_writes diff_subscription(const block_plan& plan,
                                      const stored_subscription_rows& stored);

}  // namespace wfrun

// The catalog as stored: products, product blocks, resource types, fixed inputs, workflows and
// the tables that link them, brought in line with the catalog model the program loaded.
//
// Concurrency contract: sync_catalog() is atomic (all of it commits or none, in the caller's
// transaction when one is open, otherwise in its own). Two programs syncing the same model at
// once both succeed and leave the same rows (every write is an upsert keyed by name or a delete
// of what the model no longer has); syncing different models at once leaves one of them whole.
// The reads are plain reads and may lag a concurrent sync by one commit.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "interpreter/domain/model.hpp"
#include "interpreter/store/rows.hpp"

namespace wfrun {

class catalog_store {
  public:
    virtual ~catalog_store() = default;

    // Brings products, blocks, resource types, fixed inputs, workflows and their links in line
    // with `model` and keeps it for the domain calls of subscription_store. Refuses, with a
    // message naming what would be orphaned, to remove a product or block that subscriptions
    // use; then nothing is written and the model kept before stays.
    virtual void sync_catalog(const catalog_model& model) = 0;
    // Ordered by name.
    virtual std::vector<product_row> products() = 0;
    virtual std::optional<product_row> product(const std::string& product_id) = 0;
    // Workflow names linked to the product (every workflow whose product_type matches), by name.
    virtual std::vector<std::string> product_workflows(const std::string& product_id) = 0;
    // Statements the registry's steps need for their own tables, run atomically. They are the
    // steps' own DDL: idempotent (CREATE ... IF NOT EXISTS) and in the backend's dialect.
    virtual void run_schema(const std::vector<std::string>& statements) = 0;
};

}  // namespace wfrun

// Subscriptions as domain models (see wfrun/step.hpp for the shape) and as listed rows. The
// mapping between a model and its rows is backend-neutral (domain_mapping.hpp); a backend reads
// and writes the rows.
//
// Concurrency contract (every backend):
// - save_subscription() and create_subscription() are atomic: all of a model's rows or none, in
//   the caller's transaction when one is open, otherwise in their own.
// - lock_subscription(id) locks the subscription's row until the current transaction ends:
//   another transaction's lock_subscription(id), set_insync(id) or save_subscription() of that
//   subscription waits until then (SELECT ... FOR UPDATE on a backend with row locks; SQLite's
//   write transaction already excludes every other writer). Only inside begin()/commit().
// - The two rules that read before they write take that lock first, so that two of them on one
//   subscription never interleave:
//     admission (engine::start): lock_subscription, check the workflow may start and no live
//       process holds the subscription, insert the process and link it, commit;
//     set-in-sync: lock_subscription, check no live process holds it, set_insync(id, true),
//       commit.
//   Two admissions on one subscription: one wins, the other sees its process. A set-in-sync
//   racing a start either sees the started process (and refuses) or commits before the start
//   reads the subscription.
// - set_insync() is one conditional write of the row (it bumps `version` only when the flag
//   changes).
// - load_subscription() may answer from a cache of models; a commit by any connection since the
//   model was cached makes the store read the rows again.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <wfrun/step.hpp>

#include "interpreter/store/rows.hpp"

namespace wfrun {

class subscription_store {
  public:
    virtual ~subscription_store() = default;

    // load() returns nullopt for an unknown id and needs the catalog (sync_catalog). save()
    // writes the subscription row, its own block instances and values, and links (never
    // writes) blocks owned by other subscriptions; instances the model no longer references are
    // deleted. Values are checked against the block definitions first (store_error naming
    // `block.field`). create() stores a new `initial` subscription and returns its model.
    virtual std::optional<json> load_subscription(const std::string& subscription_id) = 0;
    virtual void save_subscription(const json& model) = 0;
    // The model create_subscription() would store, built without storing it: save_subscription()
    // stores it.
    virtual json new_subscription(const std::string& product_id,
                                  const std::string& customer_id) = 0;
    virtual json create_subscription(const std::string& product_id,
                                     const std::string& customer_id) = 0;
    virtual std::optional<subscription_row> subscription(const std::string& subscription_id) = 0;
    // Ordered by description, then id.
    virtual std::vector<subscription_row> subscriptions(const subscription_filter& filter) = 0;
    // Subscriptions holding a block that references one of this subscription's blocks.
    virtual std::vector<subscription_row> in_use_by(const std::string& subscription_id) = 0;
    // Subscriptions owning a block that this subscription's blocks reference.
    virtual std::vector<subscription_row> depends_on(const std::string& subscription_id) = 0;
    // Throws store_error for an unknown id.
    virtual void set_insync(const std::string& subscription_id, bool insync) = 0;
    // Locks the subscription's row for the rest of the current transaction (see above); false,
    // and nothing locked, when it does not exist. Throws store_error outside a transaction.
    virtual bool lock_subscription(const std::string& subscription_id) = 0;
};

}  // namespace wfrun

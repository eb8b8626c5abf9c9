// The interface between the engine and durable storage, split per concern, each with its
// concurrency contract in its header:
//   engine_control.hpp      transactions, group commit, the pause flag, the steps' own SQL
//   catalog_store.hpp       products, blocks, workflows as synced from the catalog model
//   subscription_store.hpp  subscriptions as domain models; the subscription lock
//   process_log.hpp         processes (claimed by compare-and-set on owner and epoch), steps
//   store_care.hpp          the database itself: its own check, read snapshots, backups
// `store` is all five, as the engine and the front ends use it. The SQLite store
// (sqlite/sqlite_store.hpp) is the embedded default; another database implements the same
// classes and passes the same conformance suite (tests/store/). What is not tied to a database
// (the model-to-rows mapping, the JSON text of states, catalog diffing, placeholder translation)
// lives beside this header for every backend to reuse.
#pragma once

#include "interpreter/store/catalog_store.hpp"
#include "interpreter/store/engine_control.hpp"
#include "interpreter/store/process_log.hpp"
#include "interpreter/store/rows.hpp"
#include "interpreter/store/store_care.hpp"
#include "interpreter/store/subscription_store.hpp"

namespace wfrun {

class store : public engine_control,
              public catalog_store,
              public subscription_store,
              public process_log,
              public store_care {
  public:
    ~store() override = default;
};

}  // namespace wfrun

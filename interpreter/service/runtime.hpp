// The composition root: one object that owns what a front end needs to serve a catalog on a
// store, built in pipeline order (the catalog loaded against the caller's registry, the store
// opened and brought in line with the registry's tables and the catalog's products, then the
// engine). The command line, the tests and the benchmarks build their world through it, so the
// wiring exists once. It holds no global state: several runtimes, on one database file or on
// several, may live in one program.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "interpreter/catalog/catalog.hpp"
#include "interpreter/engine/engine.hpp"
#include "interpreter/store/sqlite/sqlite_store.hpp"
#include "interpreter/store/store.hpp"

namespace wfrun::service {

struct runtime_options {
    std::string database = "wfrun.db";       // a SQLite file, or ":memory:"
    std::vector<std::string> catalog_paths;  // .wf files, or folders searched for them
    bool synchronous_full = true;            // false: synchronous=NORMAL (see sqlite_options)
    engine_options engine;                   // reporter, faults, heartbeat timeout
    // The front end only reads: the store is opened for reading, so that no write lock is taken
    // and a read-only file can be served. When the schema or the stored catalog must first be
    // brought in line (a new file, an edited catalog), it is opened for writing instead, if the
    // file allows.
    bool read_only = false;
    // Sees the loaded catalog before anything else is done with it, whether it has errors or
    // not: where a front end reports the warnings (and the errors) of every run.
    std::function<void(const catalog&)> on_catalog;
};

// The database opened to look after it as it is: for reading only, without the checks at open,
// the schema upgrade or a catalog, so that a damaged or older file opens too (for
// service::check_database and service::backup_database). Throws store_error when it cannot be
// opened at all.
std::unique_ptr<store> open_store_as_is(const std::string& database);

class runtime {
  public:
    // Loads the catalog from `options.catalog_paths` with `steps` (which must outlive the
    // runtime), opens the store and builds the engine. Throws catalog_error when the catalog
    // has errors and store_error when the database cannot be opened or brought in line.
    runtime(const registry& steps, runtime_options options);
    ~runtime();
    runtime(const runtime&) = delete;
    runtime& operator=(const runtime&) = delete;

    const registry& steps() const { return steps_; }
    const catalog& catalog_ref() const { return *catalog_; }
    store& storage() { return *store_; }
    engine& engine_ref() { return *engine_; }
    const runtime_options& options() const { return options_; }

  private:
    const registry& steps_;
    runtime_options options_;
    std::unique_ptr<catalog> catalog_;
    std::unique_ptr<sqlite_store> store_;
    std::unique_ptr<engine> engine_;
};

}  // namespace wfrun::service

// Builds a runtime in pipeline order: catalog, store (schema of the steps' own tables, catalog
// sync), engine.
#include "interpreter/service/runtime.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "interpreter/service/errors.hpp"

namespace wfrun::service {

runtime::runtime(const registry& steps, runtime_options options)
    : steps_(steps), options_(std::move(options)) {
    catalog_ = load_catalog(options_.catalog_paths, steps_);
    if (options_.on_catalog) options_.on_catalog(*catalog_);
    if (!catalog_->ok())
        throw catalog_error(
            fmt::format("the catalog in {} does not load", fmt::join(options_.catalog_paths, ", ")),
            catalog_->diagnostics);
    sqlite_options db;
    db.synchronous_full = options_.synchronous_full;
    store_ = std::make_unique<sqlite_store>(options_.database, db);
    store_->run_schema(steps_.schemas());
    store_->sync_catalog(catalog_->model);
    engine_ = std::make_unique<engine>(*store_, *catalog_, steps_, options_.engine);
}

runtime::~runtime() = default;

}  // namespace wfrun::service

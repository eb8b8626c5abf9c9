// Builds a runtime in pipeline order: catalog, store (schema of the steps' own tables, catalog
// sync, each written only when it differs), engine.
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
    auto open = [&](bool read_only) {
        sqlite_options db;
        db.synchronous_full = options_.synchronous_full;
        db.read_only = read_only;
        auto s = std::make_unique<sqlite_store>(options_.database, db);
        s->run_schema(steps_.schemas());
        s->sync_catalog(catalog_->model);
        return s;
    };
    if (options_.read_only) {
        try {
            store_ = open(true);
        } catch (const read_only_store_error& reading) {
            try {
                store_ = open(false);
            } catch (const read_only_store_error& writing) {
                throw read_only_store_error(fmt::format("{}; {}", reading.what(), writing.what()));
            }
        }
    } else {
        store_ = open(false);
    }
    engine_ = std::make_unique<engine>(*store_, *catalog_, steps_, options_.engine);
}

runtime::~runtime() = default;

std::unique_ptr<store> open_store_as_is(const std::string& database) {
    sqlite_options db;
    db.read_only = true;
    db.check_at_open = false;
    db.upgrade = false;
    return std::make_unique<sqlite_store>(database, db);
}

}  // namespace wfrun::service

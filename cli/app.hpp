// What every wfrun command shares: where the store and the catalog are, and loading them in
// pipeline order (registry, catalog, store brought in line with the catalog, engine).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "interpreter/catalog/catalog.hpp"
#include "interpreter/engine/engine.hpp"
#include "interpreter/store/store.hpp"

namespace wfrun::cli {

// Exit codes (docs/cli.md).
inline constexpr int exit_ok = 0;
inline constexpr int exit_stopped = 1;    // lint errors; a process that did not complete
inline constexpr int exit_usage = 2;      // bad usage or input, refused, catalog does not load
inline constexpr int exit_form = 3;       // form not complete

struct app {
    std::string db = "wfrun.db";
    std::string workflows;
    bool synchronous_normal = false;

    registry steps;
    std::unique_ptr<catalog> cat;
    std::unique_ptr<store> db_store;
    std::unique_ptr<engine> eng;

    // Loads the catalog; on errors prints them and returns false.
    bool load_catalog();
    // Loads the catalog and opens the store; on failure prints why and returns false.
    bool open();
};

// The process's input pages: `--input JSON`, or `-` for standard input.
json read_input(const std::string& text);

}  // namespace wfrun::cli

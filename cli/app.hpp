// What every wfrun command shares: where the store and the catalog are, the registry main()
// filled, and the service runtime built from them (interpreter/service/runtime.hpp).
#pragma once

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "interpreter/catalog/catalog.hpp"
#include "interpreter/service/service.hpp"

namespace wfrun::cli {

// Exit codes (README.md).
inline constexpr int exit_ok = 0;
inline constexpr int exit_stopped = 1;  // lint errors; a process that did not complete
inline constexpr int exit_usage = 2;    // bad usage or input, refused, catalog does not load
inline constexpr int exit_form = 3;     // form not complete

// What a command does with the database: only reads it (opened for reading, no write lock), or
// writes.
enum class access { read, write };

// The advice printed under a damaged database's message.
inline constexpr const char* damaged_advice =
    "wfrun stopped before writing into it. `wfrun db check` lists the problems; `wfrun db backup "
    "FILE` saves what can still be read (README, \"Looking after the database\").";

struct app {
    std::string db = "wfrun.db";
    std::string workflows;
    bool synchronous_normal = false;

    registry steps;
    std::unique_ptr<catalog> cat;               // the catalog alone, for commands without a store
    std::unique_ptr<service::runtime> runtime;  // catalog, store and engine

    // Loads the catalog; on errors prints them and returns false.
    bool load_catalog();
    // Builds the runtime (catalog, store, engine); on failure prints why and returns false.
    bool open(access how = access::write);
};

// Runs `body` (which returns an exit code) and reports a refused service call the way every
// command does: its message on standard error, exit code 2.
template <class F>
int reporting(F&& body) {
    try {
        return body();
    } catch (const service::error& e) {
        std::cerr << e.what() << '\n';
        return exit_usage;
    }
}

// The process's input pages: `--input JSON`, or `-` for standard input.
json read_input(const std::string& text);

}  // namespace wfrun::cli

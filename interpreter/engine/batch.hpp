// Bulk starts: one process per line of a JSON Lines input (each line the start form's pages, as
// `wfrun start --input` takes them), run one after another on one engine. With group commit the
// steps of many processes share one durable write: each process's steps are savepoints of a
// group transaction, the group commits after `group_size` processes or `group_window`, and only
// then are its processes reported. A crash loses the uncommitted group whole, never a process
// that was reported.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <istream>
#include <map>
#include <string>

#include "interpreter/engine/engine.hpp"

namespace wfrun {

struct batch_options {
    bool group_commit = true;
    std::size_t group_size = 64;                  // processes per commit, at most
    std::chrono::milliseconds group_window{100};  // and no longer than this holding the write lock
};

// One input line's outcome.
struct batch_item {
    std::size_t line = 0;    // 1-based line of the input
    std::string process_id;  // empty when no process was created
    // The process's status (completed, failed, suspended, waiting, aborted, running), or, when
    // none was created: invalid (bad JSON or a page that fails validation), incomplete (the
    // form needs more pages), refused (the start was refused), error (the store failed, without
    // group commit).
    std::string status;
    std::string message;  // why it did not complete; empty when it did

    bool is_completed() const { return status == to_string(process_status::completed); }
};

struct batch_summary {
    std::size_t items = 0;
    std::map<std::string, std::size_t, std::less<>> by_status;
    bool all_completed() const { return completed() == items; }
    std::size_t completed() const {
        auto it = by_status.find(to_string(process_status::completed));
        return it == by_status.end() ? 0 : it->second;
    }
};

// Called for every line once its outcome is durable, in input order.
using batch_observer = std::function<void(const batch_item&)>;
// Called after each commit's lines went to the observer: they come in bursts, one per group.
using batch_commit_observer = std::function<void()>;

// Starts `plan` once per non-blank line of `input`. Lines that are not valid JSON or whose form
// does not validate are reported and skipped; the others run until they stop. A store failure
// with group commit rolls the open group back and is thrown (its lines were never reported);
// without group commit it is reported as the line's `error` and the batch goes on.
batch_summary run_batch(engine& eng, const workflow_plan& plan, std::istream& input,
                        const batch_options& options, const batch_observer& observe,
                        const batch_commit_observer& committed = {});

}  // namespace wfrun

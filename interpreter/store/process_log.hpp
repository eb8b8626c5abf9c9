// Processes, their step log, their input states and the subscriptions they work on.
//
// Concurrency contract (every backend):
// - Every call is one statement or one atomic group of them. steps() lists a process's rows in
//   the order they were appended (seq), which is the order its holders wrote them.
// - A process is held by the program that claimed it, and only the holder writes its steps. The
//   hold is an epoch: 1 when insert_process() creates the row (its creator holds it), incremented
//   by every claim_process(). claim_process() is a compare-and-set on (status, owner, epoch): of
//   two programs claiming the same process with what they read, exactly one wins.
// - The holder's writes are fenced: update_claimed_process() writes only while the row's epoch
//   is still the one the holder claimed, in the same transaction as the step's other writes (the
//   step row, the step's own SQL). When it returns false the caller rolls the transaction back:
//   a step of a program whose hold was taken over never commits. On a backend with row locks the
//   conditional UPDATE locks the process row until the transaction ends, so a claim racing it
//   waits and then sees the new row.
// - Anything that takes a process away from its holder (resume, abort, a timeout) claims it
//   first; update_process() writes without a fence and is only for rows no one holds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <wfrun/step.hpp>

#include "interpreter/store/rows.hpp"

namespace wfrun {

class process_log {
  public:
    virtual ~process_log() = default;

    // Creates the row with epoch 1 (`p.epoch` is ignored). Empty
    // started_at is now. Throws store_error when the id exists.
    virtual void insert_process(const process_row& p) = 0;
    // Writes every column of `p` but process_id, started_at, workflow_name and epoch, whoever
    // holds the row: no fence. Empty last_modified_at is now. Throws store_error for an unknown id.
    virtual void update_process(const process_row& p) = 0;
    // As update_process(), but only while the row's epoch is still `p.epoch`; false, with nothing
    // written, when another program claimed the process since (or it is unknown).
    virtual bool update_claimed_process(const process_row& p) = 0;
    // Takes a process over: sets it `running` under `owner` (with `heartbeat_at`, now when empty)
    // and increments its epoch, only when it is still in `expected_status` under `expected_owner`
    // ("" for none) at `expected_epoch`. Returns the new epoch, or nullopt when another program
    // got there first (nothing written). One conditional write.
    virtual std::optional<std::int64_t> claim_process(const std::string& process_id,
                                                      process_status expected_status,
                                                      const std::string& expected_owner,
                                                      std::int64_t expected_epoch,
                                                      const std::string& owner,
                                                      const std::string& heartbeat_at) = 0;
    virtual std::optional<process_row> process(const std::string& process_id) = 0;
    // Newest first (started_at, then insertion order).
    virtual std::vector<process_row> processes(const process_filter& filter) = 0;

    // Appends a row and returns its seq.
    virtual std::int64_t insert_step(const step_row& s) = 0;
    // In seq order.
    virtual std::vector<step_row> steps(const std::string& process_id) = 0;
    // The latest row of a process, or nullopt when it has none.
    virtual std::optional<step_row> last_step(const std::string& process_id) = 0;
    // Rewrites the status, state and completed_at of the row `s.seq` (a repeated identical
    // failure is counted in the row it repeats, as orchestrator-core does). Throws store_error
    // for an unknown seq.
    virtual void update_step(const step_row& s) = 0;

    // `input_type` is initial_state or user_input (anything else throws store_error).
    virtual void insert_input_state(const std::string& process_id, const json& input,
                                    const std::string& input_type) = 0;
    virtual std::optional<json> last_input_state(const std::string& process_id) = 0;

    // Idempotent: a second link of the same pair is ignored.
    virtual void link_process_subscription(const std::string& process_id,
                                           const std::string& subscription_id,
                                           workflow_target target) = 0;
    // In link order.
    virtual std::vector<std::string> process_subscriptions(const std::string& process_id) = 0;
    // Newest first.
    virtual std::vector<process_row> subscription_processes(const std::string& subscription_id) = 0;
};

}  // namespace wfrun

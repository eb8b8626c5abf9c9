// The store's transactions, group commit, the engine-wide pause flag and the steps' own SQL.
//
// Concurrency contract (every backend):
// - One store object is one connection, used by one thread at a time. Concurrency happens
//   between store objects, in one program or many, on the same database.
// - A transaction is atomic and durable: its writes become visible to other connections all at
//   once at commit(), or never. It sees its own writes.
// - Reads are not a promise about the future: a row read inside a transaction may be changed by
//   another connection before this one writes, unless the contract of the call that wrote or
//   locked it says otherwise. Every decision a write depends on is therefore taken by a
//   conditional write (process_log::claim_process, process_log::update_claimed_process) or under
//   a row lock (subscription_store::lock_subscription), never by "read, then write".
// - begin() may wait for other writers (up to a backend's busy timeout) and then throws
//   store_error rather than fail halfway. A backend may serialise every write transaction (SQLite
//   does: BEGIN IMMEDIATE takes the database's write lock), but callers must not rely on it.
#pragma once

#include <wfrun/step.hpp>

namespace wfrun {

class engine_control {
  public:
    virtual ~engine_control() = default;

    // Transactions. Not nested: begin() inside one throws store_error. The engine opens one per
    // step, so that a step's own SQL, its log row and its process row commit together.
    virtual void begin() = 0;
    virtual void commit() = 0;
    // Undoes everything since begin(); nothing open: nothing to do.
    virtual void rollback() = 0;
    virtual bool in_transaction() const = 0;

    // Group commit. Between begin_group() and commit_group() the transactions above become
    // savepoints of one outer transaction: a step's writes still commit or roll back together,
    // but they reach the disk (and other connections) only with commit_group(), in one write for
    // many steps. Nothing may be reported done before commit_group() returns.
    // rollback_group() undoes everything since begin_group(). The outer transaction holds every
    // lock its steps took until it ends.
    virtual void begin_group() = 0;
    virtual void commit_group() = 0;
    virtual void rollback_group() = 0;
    virtual bool in_group() const = 0;

    // The engine-wide pause flag. set_global_lock() is a single atomic write; a step that read
    // the flag unset before it was set may still commit (the engine is `pausing` until the
    // running steps are done).
    virtual bool global_lock() = 0;
    virtual void set_global_lock(bool locked) = 0;

    // The steps' own tables, in the current transaction. Statements are written in the one
    // placeholder style documented in wfrun/step.hpp (`?`, bound in order), which each backend
    // translates to its own.
    virtual sql_session& sql() = 0;
};

}  // namespace wfrun

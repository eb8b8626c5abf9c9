// Looking after the database itself: the backend's own check of its files, a consistent read
// snapshot for checks that span several calls, and an online backup. What wfrun's rows must
// satisfy beyond that (every step's process exists, ...) is backend-neutral and lives in the
// service layer (service::check_database), written against these interfaces.
//
// Concurrency contract (every backend):
// - check_storage() and backup() may run while other connections write; neither blocks them
//   for longer than a backend's own read does, and neither writes into the database.
// - Between begin_snapshot() and end_snapshot() every read of this store sees the database as it
//   was at one moment; writers of other connections go on meanwhile. Not inside a transaction.
#pragma once

#include <string>
#include <vector>

namespace wfrun {

class store_care {
  public:
    virtual ~store_care() = default;

    // The backend's own structural check (for SQLite: PRAGMA integrity_check and
    // foreign_key_check): one message per problem, empty when the files are sound.
    virtual std::vector<std::string> check_storage() = 0;

    // Writes a consistent copy of the whole database, as of one moment, to `destination`, which
    // is replaced only when `overwrite` (otherwise an existing one is refused with store_error).
    // The copy appears whole or not at all.
    virtual void backup(const std::string& destination, bool overwrite) = 0;

    virtual void begin_snapshot() = 0;
    virtual void end_snapshot() = 0;
};

}  // namespace wfrun

// Turns at SQLite's write lock. SQLite has one writer at a time and no queue: a waiting writer
// polls, and a program that commits step after step (a process, a batch) takes the lock again
// before the poller looks, so that `wfrun abort` or `wfrun engine pause` could wait for the whole
// run. Writers therefore take turns through a lock file beside the database (`<db>-turn`):
//
// - a writer that finds the write lock taken holds the turn file exclusively while it waits for
//   the lock, and lets go once it has it;
// - every writer, before it asks for the write lock, waits while another holds the turn file.
//
// So a waiting command gets the lock at the running program's next transaction: the end of the
// step (or of the group of a batch) that was running. The turn file is an advisory lock
// (flock(2)); the kernel releases it when its holder dies, so a crash never leaves it held.
#pragma once

#include <string>

namespace wfrun::sqlite_detail {

class writer_turns {
  public:
    // `db_path`'s turn file; without one (an in-memory database, a folder that cannot be
    // written) turns are not taken and every call does nothing.
    explicit writer_turns(const std::string& db_path);
    ~writer_turns();
    writer_turns(const writer_turns&) = delete;
    writer_turns& operator=(const writer_turns&) = delete;

    // Before asking for the write lock: waits while a writer that is waiting holds the turn.
    void wait_for_waiters() const;
    // The write lock is another's: holds the turn while this writer waits for the lock, and
    // let_go() once it has it (or gave up), so that the holder waits at its next transaction.
    void announce() const;
    void let_go() const;

  private:
    int fd_ = -1;
};

}  // namespace wfrun::sqlite_detail

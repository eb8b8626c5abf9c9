// Turns at SQLite's write lock (writer_turns.hpp), with flock(2) on `<db>-turn`.
#include "interpreter/store/sqlite/writer_turns.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

namespace wfrun::sqlite_detail {

namespace {

// flock, again when a signal interrupted it.
int lock(int fd, int operation) {
    int rc;
    do {
        rc = ::flock(fd, operation);
    } while (rc != 0 && errno == EINTR);
    return rc;
}

}  // namespace

writer_turns::writer_turns(const std::string& db_path) {
    if (db_path.empty() || db_path == ":memory:" || db_path.starts_with("file:")) return;
    fd_ = ::open((db_path + "-turn").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
}

writer_turns::~writer_turns() {
    if (fd_ >= 0) ::close(fd_);
}

void writer_turns::wait_for_waiters() const {
    if (fd_ < 0) return;
    // A shared lock is granted at once unless a waiter holds the turn; then it blocks until the
    // waiter has had the write lock and let go.
    if (lock(fd_, LOCK_SH) == 0) lock(fd_, LOCK_UN);
}

void writer_turns::announce() const {
    if (fd_ >= 0) lock(fd_, LOCK_EX);
}

void writer_turns::let_go() const {
    if (fd_ >= 0) lock(fd_, LOCK_UN);
}

}  // namespace wfrun::sqlite_detail

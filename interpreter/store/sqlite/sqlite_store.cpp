// The SQLite store (sqlite_store.hpp): opening the file, and the engine-control half of the
// contract (transactions, group commit, the pause flag, the steps' own SQL). The other concerns
// have a file each: sqlite_schema.cpp, sqlite_catalog.cpp, sqlite_subscriptions.cpp,
// sqlite_process_log.cpp. Every statement goes through the connection's prepared-statement
// cache. Calls that write several rows (catalog sync, saving a subscription) are atomic: inside
// the caller's transaction they run in a savepoint, outside one in their own transaction.
//
// The store keeps engine_control.hpp's contract with SQLite's own lock: begin() is BEGIN
// IMMEDIATE, which takes the database's write lock, so a transaction's reads and writes never
// interleave with another writer's. The conditional writes and row locks the contract asks for
// (claim_process, update_claimed_process, lock_subscription) are still written as such, so that
// their meaning does not depend on that lock.
#include "interpreter/store/sqlite/sqlite_store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "interpreter/store/sqlite/sqlite_store_impl.hpp"
#include "interpreter/util/util.hpp"

namespace wfrun {

// --- the steps' SQL ---

namespace sqlite_detail {

void session::exec(std::string_view sql, const std::vector<json>& params) {
    auto st = prepared(sql, params);
    st->run();
}

std::vector<json> session::query(std::string_view sql, const std::vector<json>& params) {
    auto st = prepared(sql, params);
    std::vector<json> rows;
    int columns = st->column_count();
    while (st->step()) {
        json row = json::object();
        for (int c = 0; c < columns; ++c) row[st->column_name(c)] = st->column_json(c);
        rows.push_back(std::move(row));
    }
    return rows;
}

// SQLite reads the documented style (bare `?`) as it is; any other style it also understands
// (`?1`, `:name`, `@name`, `$name`) is refused, so that a step's SQL runs on every backend.
sqlite::cached_statement session::prepared(std::string_view sql, const std::vector<json>& params) {
    auto st = db_.prepare_cached(sql);
    if (st->has_tail()) {
        throw store_error(fmt::format("one SQL statement at a time, got: {}", sql));
    }
    const int count = st->parameter_count();
    for (int i = 1; i <= count; ++i) {
        if (const char* name = sqlite3_bind_parameter_name(st->handle(), i); name != nullptr) {
            throw store_error(
                fmt::format("placeholder '{}' in step SQL: write '?' and pass the parameters in "
                            "order: {}",
                            name, sql));
        }
    }
    if (static_cast<std::size_t>(count) != params.size()) {
        throw store_error(
            fmt::format("SQL expects {} parameters, got {}: {}", count, params.size(), sql));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
        st->bind_json(static_cast<int>(i) + 1, params[i]);
    }
    return st;
}

product_row read_product(const sqlite::statement& st) {
    return {st.column_text(0), st.column_text(1), st.column_text(2),
            st.column_text(3), st.column_text(4), st.column_text(5)};
}

}  // namespace sqlite_detail

// --- transactions ---

void sqlite_store::impl::begin() {
    if (group) {
        if (step_open) throw store_error("a transaction is already open");
        st("SAVEPOINT wfrun_step")->run();
        step_open = true;
        return;
    }
    begin_immediate();
}

void sqlite_store::impl::begin_immediate() {
    if (db.in_transaction()) throw store_error("a transaction is already open");
    if (read_only) throw cannot_write("a write transaction");
    // Takes turns with other writers (writer_turns.hpp): first let a waiting one in, then ask
    // for the lock without waiting; when it is taken, wait for it holding the turn.
    turns.wait_for_waiters();
    const int timeout = db.busy_timeout();
    db.busy_timeout(0);
    try {
        st("BEGIN IMMEDIATE")->run();
        db.busy_timeout(timeout);
        return;
    } catch (const sqlite::error& e) {
        db.busy_timeout(timeout);
        if (e.primary() != SQLITE_BUSY) throw;
    }
    turns.announce();
    struct letting_go {
        const sqlite_detail::writer_turns& t;
        ~letting_go() { t.let_go(); }
    } holding{turns};
    // The busy timeout has already waited inside each attempt; a few more attempts ride
    // out a long checkpoint or a writer that held the lock a little longer.
    for (int attempt = 0;; ++attempt) {
        try {
            st("BEGIN IMMEDIATE")->run();
            return;
        } catch (const sqlite::error& e) {
            if (e.primary() != SQLITE_BUSY || attempt == 4) throw;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20 * (attempt + 1)));
    }
}

void sqlite_store::impl::commit() {
    if (group) {
        st("RELEASE wfrun_step")->run();
        step_open = false;
        return;
    }
    st("COMMIT")->run();
}

void sqlite_store::impl::rollback() {
    forget_models();
    if (group) {
        if (step_open && db.in_transaction()) {
            st("ROLLBACK TO wfrun_step")->run();
            st("RELEASE wfrun_step")->run();
        }
        step_open = false;
        return;
    }
    if (db.in_transaction()) st("ROLLBACK")->run();
}

sqlite_store::impl::write_scope::write_scope(impl& s) : s_(s), own_(!s.db.in_transaction()) {
    if (own_) {
        s_.begin();
    } else {
        s_.st("SAVEPOINT wfrun_call")->run();
    }
}

sqlite_store::impl::write_scope::~write_scope() {
    if (done_) return;
    try {
        if (own_) {
            s_.rollback();
        } else if (s_.db.in_transaction()) {
            s_.st("ROLLBACK TO wfrun_call")->run();
            s_.st("RELEASE wfrun_call")->run();
        }
    } catch (...) {  // the original exception is the one to report
    }
}

void sqlite_store::impl::write_scope::commit() {
    if (own_) {
        s_.commit();
    } else {
        s_.st("RELEASE wfrun_call")->run();
    }
    done_ = true;
}

// --- opening ---

namespace {

// Whether a file or folder may be written, by its permission bits as well as by access(2): a
// file made read-only with chmod is read-only for root too.
bool writable(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return false;
    if ((st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0) return false;
    return ::access(path.c_str(), W_OK) == 0;
}

bool is_memory(const std::string& path) {
    return path.empty() || path == ":memory:" || path.starts_with("file::memory:");
}

// `path` as a file: URI (RFC 3986 percent-encoding of what a URI path may not hold).
std::string file_uri(const std::string& path, std::string_view query) {
    std::string uri = "file:";
    for (unsigned char c : path) {
        if (std::isalnum(c) ||
            std::string_view("/-._~").find(static_cast<char>(c)) != std::string_view::npos) {
            uri += static_cast<char>(c);
        } else {
            uri += fmt::format("%{:02X}", c);
        }
    }
    return uri + "?" + std::string(query);
}

std::string folder_of(const std::string& path) {
    std::string folder = std::filesystem::path(path).parent_path().string();
    return folder.empty() ? "." : folder;
}

// How to open `path`: the name SQLite gets and its flags. Refuses, naming the file, what cannot
// work: writing to a read-only file or folder, reading a file that does not exist, reading a log
// whose index cannot be created.
struct open_plan {
    std::string name;
    int flags;
};

open_plan plan_open(const std::string& path, bool read_only) {
    namespace fs = std::filesystem;
    constexpr int common = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    if (is_memory(path))
        return {path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX};
    std::error_code ec;
    const bool exists = fs::exists(path, ec);
    const std::string folder = folder_of(path);
    if (!read_only) {
        if (exists && !writable(path)) {
            throw read_only_store_error(
                fmt::format("cannot open database '{}' for writing: the file is read-only", path));
        }
        // A folder that does not exist is SQLite's to report.
        if (fs::exists(folder, ec) && !writable(folder)) {
            throw read_only_store_error(fmt::format(
                "cannot open database '{}' for writing: its folder '{}' is read-only (SQLite "
                "keeps the files '{}-wal' and '{}-shm' beside it)",
                path, folder, path, path));
        }
        return {file_uri(path, "mode=rwc"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | common};
    }
    if (!exists) {
        throw read_only_store_error(fmt::format("database '{}' does not exist", path));
    }
    // A reader of a WAL file needs its index (-shm). In a folder where it cannot be created and
    // none exists, no program can be writing either (a writer needs the same files), so the file
    // is read as immutable; a log left there by a crash cannot be read without its index.
    if (!writable(folder) && !fs::exists(path + "-shm", ec)) {
        if (fs::exists(path + "-wal", ec) && fs::file_size(path + "-wal", ec) > 0) {
            throw store_error(fmt::format(
                "cannot read database '{}': its write-ahead log '{}-wal' needs the file '{}-shm', "
                "which cannot be created in the read-only folder '{}'; copy the files to a "
                "writable folder",
                path, path, path, folder));
        }
        return {file_uri(path, "mode=ro&immutable=1"), SQLITE_OPEN_READONLY | common};
    }
    return {file_uri(path, "mode=ro"), SQLITE_OPEN_READONLY | common};
}

}  // namespace

sqlite_store::sqlite_store(const std::string& path, sqlite_options options) {
    const bool memory = is_memory(path);
    // The log is read before SQLite opens the file: opening would recover the log, dropping
    // what follows a damaged frame, and the last connection's close would write the rest into
    // the file.
    if (options.check_at_open && !memory) {
        if (std::string damage = sqlite_detail::wal_damage(path + "-wal"); !damage.empty()) {
            throw damaged_store_error(fmt::format("database '{}' is damaged: {}", path, damage));
        }
    }
    open_plan plan = plan_open(path, options.read_only && !memory);
    impl_ = std::make_unique<impl>(path, plan.name, plan.flags, options.read_only && !memory);
    auto& db = impl_->db;
    try {
        db.busy_timeout(options.busy_timeout_ms);
        db.exec("PRAGMA foreign_keys = ON");
        if (options.check_at_open) impl_->check_at_open();
        if (!memory && !impl_->read_only) {
            // Setting the mode writes the file's header only when it is not WAL already.
            std::string mode;
            {
                auto current = db.prepare_cached("PRAGMA journal_mode");
                if (current->step()) mode = current->column_text(0);
            }  // the borrow's end resets it, ending its read
            if (mode != "wal") {
                auto st = db.prepare_cached("PRAGMA journal_mode = WAL");
                mode = st->step() ? st->column_text(0) : std::string();
            }
            if (mode != "wal") {
                throw store_error(
                    fmt::format("cannot switch to WAL mode (journal mode is '{}')", mode));
            }
        }
        db.exec(options.synchronous_full ? "PRAGMA synchronous = FULL"
                                         : "PRAGMA synchronous = NORMAL");
        if (options.upgrade) impl_->migrate();
    } catch (const damaged_store_error&) {
        throw;
    } catch (const read_only_store_error&) {
        throw;
    } catch (const store_error& e) {
        throw store_error(fmt::format("cannot open database '{}': {}", path, e.what()));
    }
}

sqlite_store::~sqlite_store() {
    try {
        if (impl_) {
            impl_->group = impl_->step_open = false;  // an uncommitted group is undone whole
            impl_->rollback();
        }
    } catch (...) {}
}

const std::string& sqlite_store::path() const {
    return impl_->path;
}

bool sqlite_store::read_only() const {
    return impl_->read_only;
}

read_only_store_error sqlite_store::impl::cannot_write(std::string_view what) const {
    return read_only_store_error(
        fmt::format("cannot write to database '{}' ({}): it is open for reading only", path, what));
}

// --- engine control ---

void sqlite_store::begin() {
    impl_->begin();
}
void sqlite_store::commit() {
    impl_->commit();
}
void sqlite_store::rollback() {
    impl_->rollback();
}
bool sqlite_store::in_transaction() const {
    return impl_->in_transaction();
}

void sqlite_store::begin_group() {
    if (impl_->group) throw store_error("a group is already open");
    impl_->begin_immediate();
    impl_->group = true;
}
void sqlite_store::commit_group() {
    if (!impl_->group) throw store_error("no group is open");
    if (impl_->step_open) throw store_error("a step is still open in the group");
    impl_->group = false;
    impl_->commit();
}
void sqlite_store::rollback_group() {
    if (!impl_->group) return;
    impl_->group = impl_->step_open = false;
    impl_->rollback();
}
bool sqlite_store::in_group() const {
    return impl_->group;
}

bool sqlite_store::global_lock() {
    auto q = impl_->st("SELECT global_lock FROM engine_settings WHERE id = 1");
    return q->step() && q->column_bool(0);
}

void sqlite_store::set_global_lock(bool locked) {
    auto q = impl_->st("UPDATE engine_settings SET global_lock = ?1 WHERE id = 1");
    q->bind_all(locked);
    q->run();
}

sql_session& sqlite_store::sql() {
    return impl_->session_sql;
}

}  // namespace wfrun

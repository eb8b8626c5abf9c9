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

#include <chrono>
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

sqlite_store::sqlite_store(const std::string& path, sqlite_options options) {
    impl_ = std::make_unique<impl>(
        path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
    auto& db = impl_->db;
    try {
        db.busy_timeout(options.busy_timeout_ms);
        db.exec("PRAGMA foreign_keys = ON");
        bool memory = path.empty() || path == ":memory:" || path.starts_with("file::memory:");
        if (!memory) {
            auto st = db.prepare_cached("PRAGMA journal_mode = WAL");
            std::string mode = st->step() ? st->column_text(0) : std::string();
            if (mode != "wal") {
                throw store_error(
                    fmt::format("cannot switch to WAL mode (journal mode is '{}')", mode));
            }
        }
        db.exec(options.synchronous_full ? "PRAGMA synchronous = FULL"
                                         : "PRAGMA synchronous = NORMAL");
        impl_->migrate();
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

// The SQLite wrapper (sqlite.hpp): result codes become sqlite::error (a damaged or read-only
// file its own store_error, naming the file), prepared statements are finalized by their owners,
// and the statement cache hands out borrows that reset on release.
#include "interpreter/store/sqlite/sqlite.hpp"

#include <limits>
#include <mutex>
#include <utility>

#include <fmt/format.h>

namespace wfrun::sqlite {

namespace {

// The cache never grows past this many statements; beyond it, idle ones are dropped. Only SQL
// built with inlined values (which steps should not do) gets near it.
constexpr std::size_t cache_limit = 512;

bool only_space(const char* s) {
    for (; *s != '\0'; ++s) {
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r' && *s != ';') return false;
    }
    return true;
}

}  // namespace

[[noreturn]] void fail(sqlite3* db, int code, const std::string& message) {
    const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
    std::string name = file != nullptr && *file != '\0' ? file : ":memory:";
    switch (code & 0xff) {
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
            throw damaged_store_error(fmt::format("database '{}' is damaged: {}", name, message));
        case SQLITE_READONLY:
            throw read_only_store_error(
                fmt::format("cannot write to database '{}': {}", name, message));
        default:
            throw error(code, message);
    }
}

// --- statement ---

statement::statement(sqlite3* db, std::string_view sql) {
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt_, &tail);
    if (rc != SQLITE_OK) {
        fail(db, sqlite3_extended_errcode(db),
             fmt::format("{} (in SQL: {})", sqlite3_errmsg(db), sql));
    }
    if (stmt_ == nullptr) throw error(SQLITE_MISUSE, fmt::format("empty SQL statement: '{}'", sql));
    // `tail` points into `sql`, which need not be NUL-terminated: check within its bounds.
    std::string rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
    has_tail_ = !only_space(rest.c_str());
}

statement::~statement() {
    sqlite3_finalize(stmt_);
}

statement::statement(statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), has_tail_(other.has_tail_) {}

statement& statement::operator=(statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        stmt_ = std::exchange(other.stmt_, nullptr);
        has_tail_ = other.has_tail_;
    }
    return *this;
}

void statement::check(int rc) const {
    if (rc == SQLITE_OK) return;
    sqlite3* db = sqlite3_db_handle(stmt_);
    fail(db, sqlite3_extended_errcode(db), sqlite3_errmsg(db));
}

void statement::bind(int index, std::nullptr_t) {
    check(sqlite3_bind_null(stmt_, index));
}

void statement::bind(int index, std::int64_t value) {
    check(sqlite3_bind_int64(stmt_, index, value));
}

void statement::bind(int index, double value) {
    check(sqlite3_bind_double(stmt_, index, value));
}

void statement::bind(int index, bool value) {
    check(sqlite3_bind_int(stmt_, index, value ? 1 : 0));
}

void statement::bind(int index, std::string_view value) {
    check(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                              SQLITE_UTF8));
}

void statement::bind_json(int index, const json& value) {
    switch (value.type()) {
        case json::value_t::null:
        case json::value_t::discarded:
            bind(index, nullptr);
            break;
        case json::value_t::string:
            bind(index, std::string_view(value.get_ref<const std::string&>()));
            break;
        case json::value_t::boolean:
            bind(index, value.get<bool>());
            break;
        case json::value_t::number_integer:
            bind(index, value.get<std::int64_t>());
            break;
        case json::value_t::number_unsigned: {
            auto v = value.get<std::uint64_t>();
            if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                throw error(SQLITE_RANGE, fmt::format("integer {} is too large for SQLite", v));
            }
            bind(index, static_cast<std::int64_t>(v));
            break;
        }
        case json::value_t::number_float:
            bind(index, value.get<double>());
            break;
        default:  // object, array, binary
            bind(index, value.dump());
            break;
    }
}

bool statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sqlite3* db = sqlite3_db_handle(stmt_);
    int code = sqlite3_extended_errcode(db);
    std::string message = sqlite3_errmsg(db);
    sqlite3_reset(stmt_);
    fail(db, code, message);
}

void statement::run() {
    while (step()) {}
}

void statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

int statement::parameter_count() const {
    return sqlite3_bind_parameter_count(stmt_);
}

int statement::column_count() const {
    return sqlite3_column_count(stmt_);
}

const char* statement::column_name(int column) const {
    return sqlite3_column_name(stmt_, column);
}

int statement::column_type(int column) const {
    return sqlite3_column_type(stmt_, column);
}

bool statement::is_null(int column) const {
    return column_type(column) == SQLITE_NULL;
}

std::int64_t statement::column_int64(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

double statement::column_double(int column) const {
    return sqlite3_column_double(stmt_, column);
}

std::string_view statement::column_view(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (text == nullptr) return {};
    return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::optional<std::string> statement::column_optional_text(int column) const {
    if (is_null(column)) return std::nullopt;
    return column_text(column);
}

json statement::column_json(int column) const {
    switch (column_type(column)) {
        case SQLITE_INTEGER:
            return column_int64(column);
        case SQLITE_FLOAT:
            return column_double(column);
        case SQLITE_NULL:
            return nullptr;
        default:
            return column_text(column);
    }
}

std::string_view statement::sql() const {
    const char* s = sqlite3_sql(stmt_);
    return s == nullptr ? std::string_view{} : std::string_view{s};
}

// --- cached_statement ---

cached_statement::cached_statement(cached_statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      busy_(std::exchange(other.busy_, nullptr)),
      own_(std::move(other.own_)) {}

cached_statement::~cached_statement() {
    if (stmt_ == nullptr) return;
    stmt_->reset();
    if (busy_ != nullptr) *busy_ = false;
}

// --- database ---

namespace {

// SQLite's memory statistics take a global mutex on every allocation; nothing here reads them.
// This must run before SQLite initialises, so it is done once, before the first connection; if
// the program already initialised SQLite itself, the call is refused and changes nothing.
void configure_sqlite_once() {
    static std::once_flag once;
    std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

database::database(const std::string& path, int flags, const std::string& shown) {
    configure_sqlite_once();
    int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        int code = db_ != nullptr ? sqlite3_extended_errcode(db_) : rc;
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw error(code, fmt::format("cannot open database '{}': {}", shown.empty() ? path : shown,
                                      message));
    }
    sqlite3_extended_result_codes(db_, 1);
    // A larger lookaside pool: the small allocations of preparing and stepping statements come
    // from it instead of malloc.
    sqlite3_db_config(db_, SQLITE_DBCONFIG_LOOKASIDE, nullptr, 1200, 500);
}

database::~database() {
    cache_.clear();  // finalize every statement before the connection goes
    sqlite3_close_v2(db_);
}

void database::exec(const std::string& sql) {
    char* message = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string text = message != nullptr ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        fail(db_, sqlite3_extended_errcode(db_), text);
    }
}

statement database::prepare(std::string_view sql) const {
    return statement(db_, sql);
}

cached_statement database::prepare_cached(std::string_view sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
        if (cache_.size() >= cache_limit) {
            std::erase_if(cache_, [](const auto& kv) { return !kv.second.busy; });
        }
        auto stmt = std::make_unique<statement>(db_, sql);
        it = cache_.emplace(std::string(sql), entry{std::move(stmt), false}).first;
    }
    entry& e = it->second;
    if (e.busy) {
        auto own = std::make_unique<statement>(db_, sql);
        statement* raw = own.get();
        return cached_statement(raw, nullptr, std::move(own));
    }
    e.busy = true;
    return cached_statement(e.stmt.get(), &e.busy, nullptr);
}

void database::busy_timeout(int milliseconds) {
    int rc = sqlite3_busy_timeout(db_, milliseconds);
    if (rc != SQLITE_OK) throw error(rc, last_error());
    busy_timeout_ms_ = milliseconds;
}

std::string database::last_error() const {
    return sqlite3_errmsg(db_);
}

int database::last_error_code() const {
    return sqlite3_extended_errcode(db_);
}

std::int64_t database::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(db_);
}

int database::changes() const {
    return sqlite3_changes(db_);
}

}  // namespace wfrun::sqlite

// A small RAII wrapper over SQLite's C API, the only place that calls it: `database` owns a
// connection and a cache of prepared statements keyed by their SQL text, `statement` owns one
// prepared statement with typed binds and column getters. Every failure throws sqlite::error,
// which is a store_error carrying SQLite's result code and message (see fail() for the two
// results that are reported as what they mean).
//
// A connection and its statements are used by one thread at a time.
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <sqlite3.h>

#include "interpreter/store/store.hpp"

namespace wfrun::sqlite {

class error : public store_error {
  public:
    error(int code, const std::string& message) : store_error(message), code_(code) {}
    int code() const { return code_; }            // extended result code
    int primary() const { return code_ & 0xff; }  // SQLITE_BUSY, SQLITE_CONSTRAINT, ...

  private:
    int code_;
};

// Throws the error for SQLite's result `code`: damaged_store_error for a malformed or foreign
// file (SQLITE_CORRUPT, SQLITE_NOTADB) and read_only_store_error for a write refused
// (SQLITE_READONLY), both naming the connection's file; sqlite::error for every other code.
[[noreturn]] void fail(sqlite3* db, int code, const std::string& message);

class statement {
  public:
    // Compiles the first statement of `sql`; has_tail() tells whether more text followed it.
    statement(sqlite3* db, std::string_view sql);
    ~statement();
    statement(statement&& other) noexcept;
    statement& operator=(statement&& other) noexcept;
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;

    // Binds by 1-based index. Text is copied, so temporaries are fine.
    void bind(int index, std::nullptr_t);
    void bind(int index, std::int64_t value);
    void bind(int index, double value);
    void bind(int index, bool value);
    void bind(int index, std::string_view value);
    void bind(int index, const std::string& value) { bind(index, std::string_view(value)); }
    void bind(int index, const char* value) { bind(index, std::string_view(value)); }
    template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, std::int64_t>) void bind(int index,
                                                                                 T value) {
        bind(index, static_cast<std::int64_t>(value));
    }
    template <class T>
    void bind(int index, const std::optional<T>& value) {
        if (value) {
            bind(index, *value);
        } else {
            bind(index, nullptr);
        }
    }
    // Strings, integers, floats, booleans and null bind as themselves; objects and arrays as
    // their JSON text. An unsigned integer beyond int64 throws.
    void bind_json(int index, const json& value);
    // Binds the arguments to ?1, ?2, ... in order.
    template <class... A>
    statement& bind_all(const A&... args) {
        int index = 0;
        (bind(++index, args), ...);
        return *this;
    }

    // Advances: true when a row is ready, false when the statement is done.
    bool step();
    // Runs a statement that returns no rows (or whose rows are of no interest) to completion.
    void run();
    // Back to the start with every parameter unbound.
    void reset();

    int column_count() const;
    const char* column_name(int column) const;
    int column_type(int column) const;  // SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, ...
    bool is_null(int column) const;
    std::int64_t column_int64(int column) const;
    double column_double(int column) const;
    bool column_bool(int column) const { return column_int64(column) != 0; }
    // Valid until the next step() or reset().
    std::string_view column_view(int column) const;
    std::string column_text(int column) const { return std::string(column_view(column)); }
    std::optional<std::string> column_optional_text(int column) const;
    // The value by its storage class: INTEGER -> integer, REAL -> float, TEXT/BLOB -> string,
    // NULL -> null.
    json column_json(int column) const;

    int parameter_count() const;
    bool has_tail() const { return has_tail_; }
    std::string_view sql() const;
    sqlite3_stmt* handle() const { return stmt_; }

  private:
    void check(int rc) const;

    sqlite3_stmt* stmt_ = nullptr;
    bool has_tail_ = false;
};

class database;

// A statement borrowed from a database's cache. It is reset (and its parameters unbound) when
// the borrow ends, so no read stays open by accident. A statement already borrowed further up
// the stack is not shared: the borrow then owns a fresh copy.
class cached_statement {
  public:
    cached_statement(cached_statement&& other) noexcept;
    cached_statement& operator=(cached_statement&&) = delete;
    cached_statement(const cached_statement&) = delete;
    ~cached_statement();

    statement& operator*() const { return *stmt_; }
    statement* operator->() const { return stmt_; }

  private:
    friend class database;
    cached_statement(statement* stmt, bool* busy, std::unique_ptr<statement> own)
        : stmt_(stmt), busy_(busy), own_(std::move(own)) {}

    statement* stmt_;
    bool* busy_;  // the cache entry's flag; null for an owned copy
    std::unique_ptr<statement> own_;
};

class database {
  public:
    // Opens `path` (a file name, or a URI with SQLITE_OPEN_URI) with sqlite3_open_v2 `flags`;
    // throws error naming `shown` (default: `path`) on failure.
    database(const std::string& path, int flags, const std::string& shown = {});
    ~database();
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    // Runs one or more statements without parameters, discarding any rows.
    void exec(const std::string& sql);
    // A fresh statement the caller owns.
    statement prepare(std::string_view sql) const;
    // The cached statement for `sql`, compiled on first use.
    cached_statement prepare_cached(std::string_view sql);
    void busy_timeout(int milliseconds);
    int busy_timeout() const { return busy_timeout_ms_; }

    std::string last_error() const;
    int last_error_code() const;
    std::int64_t last_insert_rowid() const;
    int changes() const;
    bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }
    std::size_t cached_count() const { return cache_.size(); }
    sqlite3* handle() const { return db_; }

  private:
    struct entry {
        std::unique_ptr<statement> stmt;
        bool busy = false;
    };
    struct text_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };

    sqlite3* db_ = nullptr;
    int busy_timeout_ms_ = 0;
    std::unordered_map<std::string, entry, text_hash, std::equal_to<>> cache_;
};

}  // namespace wfrun::sqlite

// The inside of sqlite_store, shared by its files (one per concern): the connection and its
// statement cache, the transaction and savepoint state, the catalog index, the cache of loaded
// subscription models, and the row readers. Not for use outside interpreter/store/sqlite/.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "interpreter/store/catalog_diff.hpp"
#include "interpreter/store/domain_mapping.hpp"
#include "interpreter/store/sqlite/sqlite.hpp"
#include "interpreter/store/sqlite/sqlite_store.hpp"
#include "interpreter/store/sqlite/writer_turns.hpp"

namespace wfrun {

namespace sqlite_detail {

// What a crash could not have done to the write-ahead log `wal_path` (sqlite_care.cpp): a
// damaged frame followed by more than one commit, which SQLite's recovery would silently drop
// with every commit after it. A message naming the file, or empty when there is none (or no log).
std::string wal_damage(const std::string& wal_path);

// The steps' own SQL (sqlite_engine_control.cpp).
class session final : public sql_session {
  public:
    explicit session(sqlite::database& db) : db_(db) {}
    void exec(std::string_view sql, const std::vector<json>& params) override;
    std::vector<json> query(std::string_view sql, const std::vector<json>& params) override;

  private:
    sqlite::cached_statement prepared(std::string_view sql, const std::vector<json>& params);
    sqlite::database& db_;
};

// Empty text is stored as NULL in nullable columns.
inline std::optional<std::string_view> nullable(const std::string& s) {
    if (s.empty()) return std::nullopt;
    return std::string_view(s);
}

inline std::string text_or_empty(const sqlite::statement& st, int column) {
    return st.is_null(column) ? std::string() : st.column_text(column);
}

inline std::string concat(std::string_view a, std::string_view b, std::string_view c = {}) {
    std::string s;
    s.reserve(a.size() + b.size() + c.size());
    s.append(a).append(b).append(c);
    return s;
}

constexpr std::string_view product_columns =
    "product_id, name, description, product_type, tag, status";
product_row read_product(const sqlite::statement& st);

}  // namespace sqlite_detail

struct sqlite_store::impl {
    class write_scope;

    // `name` is what SQLite opens (a URI when the file is read through its immutable flag).
    impl(const std::string& p, const std::string& name, int flags, bool ro)
        : path(p), read_only(ro), db(name, flags, p), session_sql(db) {}

    std::string path;
    bool read_only;  // opened with SQLITE_OPEN_READONLY: begin() refuses, no write lock is taken
    sqlite::database db;
    sqlite_detail::writer_turns turns{read_only ? std::string() : path};  // none for readers
    sqlite_detail::session session_sql;
    std::unique_ptr<catalog_index> cat;

    sqlite::cached_statement st(std::string_view text) { return db.prepare_cached(text); }

    // Subscription models as last loaded, so that the steps of a process do not rebuild the
    // same model from its rows again and again. Any write to subscriptions through this store,
    // and any rollback, forgets them all; a commit by another connection shows in
    // PRAGMA data_version, which is checked before every use. (Steps write their own tables
    // through sql(), never the subscription tables.)
    std::unordered_map<std::string, json> models;
    std::int64_t models_data_version = -1;

    const json* cached_model(const std::string& id) {
        auto q = st("PRAGMA data_version");
        std::int64_t v = q->step() ? q->column_int64(0) : -1;
        q->reset();
        if (v != models_data_version) {
            models.clear();
            models_data_version = v;
        }
        auto it = models.find(id);
        return it == models.end() ? nullptr : &it->second;
    }
    void forget_models() { models.clear(); }

    // Group commit: the outer transaction is open and begin()/commit() are savepoints.
    bool group = false;
    bool step_open = false;  // a savepoint of the group is open

    // Creates the schema of a new file or brings an older one up to date (sqlite_schema.cpp).
    // Reads the version first and takes the write lock only when it is behind.
    void migrate();
    // The catalog index from the stored rows, for a model they were synced with.
    void index_stored(catalog_index& next);
    // The stored catalog fingerprint (engine_settings.catalog_fingerprint), empty when none.
    std::string stored_fingerprint();
    // The error for a write this store cannot do because it is open for reading only.
    read_only_store_error cannot_write(std::string_view what) const;

    // The checks at open (sqlite_care.cpp): PRAGMA quick_check; damaged_store_error when it
    // finds a problem, after making sure that closing the connection writes nothing.
    void check_at_open();

    void begin();
    void begin_immediate();
    void commit();
    void rollback();
    bool in_transaction() const { return group ? step_open : db.in_transaction(); }

    const catalog_index& require_catalog() const {
        if (!cat) throw store_error("the store has no catalog: sync_catalog() was not called");
        return *cat;
    }

    std::optional<subscription_row> subscription(const std::string& id);
    std::vector<subscription_row> subscription_list(std::string_view sql, const std::string& a,
                                                    const std::string& b);
    void save_subscription(const json& model);
    stored_subscription_rows stored_rows(const std::string& subscription_id);
    std::vector<process_row> process_list(std::string_view sql, const std::string& a,
                                          const std::string& b, std::int64_t limit);
    void sync_links(const char* table, const char* a, const char* b,
                    const std::set<id_link>& desired);
};

// Makes one store call atomic: its own transaction when the caller has none open, otherwise a
// savepoint inside the caller's. Without commit(), everything written in it is undone.
class sqlite_store::impl::write_scope {
  public:
    explicit write_scope(impl& s);
    write_scope(const write_scope&) = delete;
    write_scope& operator=(const write_scope&) = delete;
    ~write_scope();
    void commit();

  private:
    impl& s_;
    bool own_;
    bool done_ = false;
};

}  // namespace wfrun

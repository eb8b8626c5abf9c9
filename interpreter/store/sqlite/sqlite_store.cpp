// The SQLite store (sqlite_store.hpp). The schema mirrors orchestrator-core's tables; every
// statement goes through the connection's prepared-statement cache. Calls that write several
// rows (catalog sync, saving a subscription) are atomic: inside the caller's transaction they
// run in a savepoint, outside one in their own transaction.
//
// Subscriptions are stored as orchestrator-core stores them: one subscription_instances row per
// block, its resources as text in subscription_instance_values, and nested blocks as
// subscription_instance_relations (in_use_by = parent, depends_on = child). The catalog model
// kept from sync_catalog types the values again on load.
#include "interpreter/store/sqlite/sqlite_store.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "interpreter/store/sqlite/sqlite.hpp"
#include "interpreter/util/util.hpp"

namespace wfrun {

namespace {

constexpr int schema_version = 1;

// The whole schema; every statement is idempotent so that it can run on any older file.
constexpr const char* schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS products (
    product_id   TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL,
    product_type TEXT NOT NULL,
    tag          TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    end_date     TEXT
);
CREATE TABLE IF NOT EXISTS product_blocks (
    product_block_id TEXT PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    description      TEXT NOT NULL,
    tag              TEXT NOT NULL,
    status           TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    end_date         TEXT
);
CREATE TABLE IF NOT EXISTS product_product_blocks (
    product_id       TEXT NOT NULL REFERENCES products ON DELETE CASCADE,
    product_block_id TEXT NOT NULL REFERENCES product_blocks ON DELETE CASCADE,
    PRIMARY KEY (product_id, product_block_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS product_product_blocks_block_ix
    ON product_product_blocks (product_block_id);
CREATE TABLE IF NOT EXISTS product_block_relations (
    in_use_by_id  TEXT NOT NULL REFERENCES product_blocks ON DELETE CASCADE,
    depends_on_id TEXT NOT NULL REFERENCES product_blocks ON DELETE CASCADE,
    min           INTEGER,
    max           INTEGER,
    PRIMARY KEY (in_use_by_id, depends_on_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS product_block_relations_depends_on_ix
    ON product_block_relations (depends_on_id);
CREATE TABLE IF NOT EXISTS resource_types (
    resource_type_id TEXT PRIMARY KEY,
    resource_type    TEXT NOT NULL UNIQUE,
    description      TEXT
);
CREATE TABLE IF NOT EXISTS product_block_resource_types (
    product_block_id TEXT NOT NULL REFERENCES product_blocks ON DELETE CASCADE,
    resource_type_id TEXT NOT NULL REFERENCES resource_types ON DELETE CASCADE,
    PRIMARY KEY (product_block_id, resource_type_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fixed_inputs (
    fixed_input_id TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    value          TEXT NOT NULL,
    product_id     TEXT NOT NULL REFERENCES products ON DELETE CASCADE,
    created_at     TEXT NOT NULL,
    UNIQUE (product_id, name)
);
CREATE TABLE IF NOT EXISTS workflows (
    workflow_id TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    target      TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    deleted_at  TEXT,
    is_task     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS products_workflows (
    product_id  TEXT NOT NULL REFERENCES products ON DELETE CASCADE,
    workflow_id TEXT NOT NULL REFERENCES workflows ON DELETE CASCADE,
    PRIMARY KEY (product_id, workflow_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS products_workflows_workflow_ix ON products_workflows (workflow_id);

CREATE TABLE IF NOT EXISTS subscriptions (
    subscription_id TEXT PRIMARY KEY,
    description     TEXT NOT NULL,
    status          TEXT NOT NULL,
    product_id      TEXT NOT NULL REFERENCES products,
    customer_id     TEXT NOT NULL,
    insync          INTEGER NOT NULL DEFAULT 0,
    start_date      TEXT,
    end_date        TEXT,
    note            TEXT,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS subscriptions_status_ix ON subscriptions (status);
CREATE INDEX IF NOT EXISTS subscriptions_product_id_ix ON subscriptions (product_id);
-- The optimistic lock: every update bumps the version (recursive_triggers stays off). wfrun's
-- own updates bump it themselves, which the trigger sees and leaves alone; it is there for
-- every other writer.
CREATE TRIGGER IF NOT EXISTS subscriptions_version_bump AFTER UPDATE ON subscriptions
FOR EACH ROW WHEN NEW.version = OLD.version
BEGIN
    UPDATE subscriptions SET version = OLD.version + 1
    WHERE subscription_id = NEW.subscription_id;
END;
CREATE TABLE IF NOT EXISTS subscription_instances (
    subscription_instance_id TEXT PRIMARY KEY,
    subscription_id          TEXT NOT NULL REFERENCES subscriptions ON DELETE CASCADE,
    product_block_id         TEXT NOT NULL REFERENCES product_blocks,
    label                    TEXT
);
CREATE INDEX IF NOT EXISTS subscription_instances_subscription_id_ix
    ON subscription_instances (subscription_id);
CREATE TABLE IF NOT EXISTS subscription_instance_values (
    subscription_instance_value_id TEXT PRIMARY KEY,
    subscription_instance_id TEXT NOT NULL
        REFERENCES subscription_instances ON DELETE CASCADE,
    resource_type_id         TEXT NOT NULL REFERENCES resource_types,
    value                    TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS subscription_instance_values_subscription_instance_id_ix
    ON subscription_instance_values (subscription_instance_id, resource_type_id);
CREATE TABLE IF NOT EXISTS subscription_instance_relations (
    in_use_by_id      TEXT NOT NULL REFERENCES subscription_instances ON DELETE CASCADE,
    depends_on_id     TEXT NOT NULL REFERENCES subscription_instances,
    order_id          INTEGER NOT NULL DEFAULT 0,
    domain_model_attr TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS subscription_instance_relations_in_use_by_id_ix
    ON subscription_instance_relations (in_use_by_id, domain_model_attr, order_id);
CREATE INDEX IF NOT EXISTS subscription_instance_relations_depends_on_id_ix
    ON subscription_instance_relations (depends_on_id);

CREATE TABLE IF NOT EXISTS processes (
    pid              TEXT PRIMARY KEY,
    workflow_id      TEXT REFERENCES workflows,
    workflow_name    TEXT NOT NULL,
    workflow_target  TEXT,
    assignee         TEXT NOT NULL DEFAULT 'SYSTEM',
    last_status      TEXT NOT NULL,
    last_step        TEXT,
    started_at       TEXT NOT NULL,
    last_modified_at TEXT NOT NULL,
    failed_reason    TEXT,
    traceback        TEXT,
    created_by       TEXT,
    is_task          INTEGER NOT NULL DEFAULT 0,
    note             TEXT,
    definition       TEXT,
    owner            TEXT,
    heartbeat_at     TEXT
);
CREATE INDEX IF NOT EXISTS processes_last_status_ix ON processes (last_status, started_at);
CREATE INDEX IF NOT EXISTS processes_workflow_name_ix ON processes (workflow_name, started_at);
CREATE INDEX IF NOT EXISTS processes_started_at_ix ON processes (started_at);
CREATE TABLE IF NOT EXISTS process_steps (
    seq          INTEGER PRIMARY KEY,  -- rowid order; no AUTOINCREMENT (an extra page per insert)
    stepid       TEXT NOT NULL UNIQUE,
    pid          TEXT NOT NULL REFERENCES processes ON DELETE CASCADE,
    name         TEXT NOT NULL,
    step_key     TEXT,
    status       TEXT NOT NULL,
    state        TEXT NOT NULL,
    created_by   TEXT,
    started_at   TEXT NOT NULL,
    completed_at TEXT NOT NULL,
    commit_hash  TEXT
);
CREATE INDEX IF NOT EXISTS process_steps_pid_ix ON process_steps (pid, seq);
CREATE TABLE IF NOT EXISTS input_states (
    input_state_id TEXT PRIMARY KEY,
    pid            TEXT NOT NULL REFERENCES processes ON DELETE CASCADE,
    input_state    TEXT NOT NULL,
    input_time     TEXT NOT NULL,
    input_type     TEXT NOT NULL CHECK (input_type IN ('initial_state', 'user_input'))
);
CREATE INDEX IF NOT EXISTS input_states_pid_ix ON input_states (pid);
CREATE TABLE IF NOT EXISTS processes_subscriptions (
    id              TEXT PRIMARY KEY,
    pid             TEXT NOT NULL REFERENCES processes ON DELETE CASCADE,
    subscription_id TEXT NOT NULL REFERENCES subscriptions,
    created_at      TEXT NOT NULL,
    workflow_target TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS processes_subscriptions_pid_ix
    ON processes_subscriptions (pid, subscription_id);
CREATE INDEX IF NOT EXISTS processes_subscriptions_subscription_id_ix
    ON processes_subscriptions (subscription_id);

CREATE TABLE IF NOT EXISTS engine_settings (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    global_lock INTEGER NOT NULL DEFAULT 0
);
INSERT OR IGNORE INTO engine_settings (id, global_lock) VALUES (1, 0);
)sql";

// The keys every block instance carries besides its fields.
constexpr const char* block_meta_keys[] = {"name", "subscription_instance_id",
                                           "owner_subscription_id", "label"};
// The top-level keys of a subscription model besides fixed inputs and the root block.
constexpr const char* subscription_keys[] = {"subscription_id", "description", "status",   "insync",
                                             "customer_id",     "start_date",  "end_date", "note",
                                             "version",         "product"};

template <std::size_t N>
bool one_of(const char* const (&names)[N], std::string_view s) {
    for (const char* n : names) {
        if (s == n) return true;
    }
    return false;
}

// json::dump(), faster for what a state holds: plain strings (printable ASCII, nothing to escape)
// are copied as they are and integers written directly; everything else (escapes, UTF-8, floats)
// goes through json::dump() itself, so the text is byte for byte what dump() writes.
void append_string(std::string& out, const std::string& text) {
    bool plain = std::all_of(text.begin(), text.end(),
                             [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
    if (!plain) {
        out += json(text).dump();
        return;
    }
    out += '"';
    out += text;
    out += '"';
}

void append_json(std::string& out, const json& v) {
    switch (v.type()) {
        case json::value_t::object: {
            out += '{';
            bool first = true;
            for (const auto& [key, item] : v.items()) {
                if (!first) out += ',';
                first = false;
                append_string(out, key);
                out += ':';
                append_json(out, item);
            }
            out += '}';
            return;
        }
        case json::value_t::array: {
            out += '[';
            for (std::size_t i = 0; i < v.size(); ++i) {
                if (i) out += ',';
                append_json(out, v[i]);
            }
            out += ']';
            return;
        }
        case json::value_t::string:
            append_string(out, v.get_ref<const std::string&>());
            return;
        case json::value_t::number_integer:
            out += fmt::format_int(v.get<std::int64_t>()).c_str();
            return;
        case json::value_t::number_unsigned:
            out += fmt::format_int(v.get<std::uint64_t>()).c_str();
            return;
        case json::value_t::boolean:
            out += v.get<bool>() ? "true" : "false";
            return;
        case json::value_t::null:
            out += "null";
            return;
        default:
            break;
    }
    out += v.dump();
}

std::string compact_json(const json& v) {
    std::string out;
    out.reserve(1024);
    append_json(out, v);
    return out;
}

// Empty text is stored as NULL in nullable columns.
std::optional<std::string_view> nullable(const std::string& s) {
    if (s.empty()) return std::nullopt;
    return std::string_view(s);
}

std::string text_or_empty(const sqlite::statement& st, int column) {
    return st.is_null(column) ? std::string() : st.column_text(column);
}

const json* member(const json& object, const char* key) {
    if (!object.is_object()) return nullptr;
    auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

std::string string_member(const json& object, const char* key, const char* what) {
    const json* v = member(object, key);
    if (v == nullptr || !v->is_string()) {
        throw store_error(fmt::format("{}: '{}' must be a string", what, key));
    }
    return v->get<std::string>();
}

std::optional<std::string> optional_string_member(const json& object, const char* key,
                                                  const char* what) {
    const json* v = member(object, key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_string()) {
        throw store_error(fmt::format("{}: '{}' must be a string or null", what, key));
    }
    return v->get<std::string>();
}

json optional_json(const std::optional<std::string>& s) {
    return s ? json(*s) : json(nullptr);
}

// A resource value as stored: strings as they are, integers in decimal, booleans as
// "true"/"false". Throws store_error naming `block.field` when the value has the wrong type.
std::string value_text(const block_def& block, const field_def& field, const json& v) {
    auto wrong = [&](const char* expected) {
        return store_error(
            fmt::format("{}.{}: expected {}, got {}", block.name, field.name, expected, v.dump()));
    };
    if (field.type == "int") {
        if (v.is_number_integer()) return v.dump();  // signed or unsigned, in decimal
        throw wrong("an integer");
    }
    if (field.type == "bool") {
        if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
        throw wrong("a boolean");
    }
    if (field.type == "float") {
        if (v.is_number()) return v.dump();
        throw wrong("a number");
    }
    if (v.is_string()) return v.get<std::string>();
    throw wrong("a string");
}

// The stored text typed by the field; text that does not parse stays a string.
json typed_value(const field_def& field, std::string_view text) {
    if (field.type == "int") {
        std::int64_t i = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
        if (ec == std::errc() && end == text.data() + text.size()) return i;
        std::uint64_t u = 0;
        auto [uend, uec] = std::from_chars(text.data(), text.data() + text.size(), u);
        if (uec == std::errc() && uend == text.data() + text.size()) return u;
    } else if (field.type == "bool") {
        if (text == "true" || text == "True" || text == "1") return true;
        if (text == "false" || text == "False" || text == "0") return false;
    } else if (field.type == "float") {
        try {
            return json::parse(text);
        } catch (const json::exception&) {}
    }
    return std::string(text);
}

json product_json(const product_row& p) {
    return {{"product_id", p.product_id},     {"name", p.name}, {"description", p.description},
            {"product_type", p.product_type}, {"tag", p.tag},   {"status", p.status}};
}

// The catalog model as synced, with the ids the database gave its rows. Built whole and then
// swapped in, so the pointers into `model` stay valid.
struct catalog {
    catalog_model model;
    std::unordered_map<std::string, const product_def*> product_by_id;
    std::unordered_map<std::string, product_row> product_rows;  // by product_id
    std::unordered_map<std::string, std::string> block_ids;     // name -> product_block_id
    std::unordered_map<std::string, const block_def*> block_by_id;
    std::unordered_map<std::string, std::string> resource_ids;    // resource_type -> id
    std::unordered_map<std::string, std::string> resource_names;  // id -> resource_type
};

// Refuses a model the tables cannot represent: unknown blocks, repeated names, field names
// that clash with a block's own keys, fixed inputs that clash with a subscription's keys.
void validate_model(const catalog_model& model) {
    std::set<std::string> names;
    for (const block_def& b : model.blocks) {
        if (!names.insert(b.name).second) {
            throw store_error(fmt::format("product block '{}' is defined twice", b.name));
        }
        std::set<std::string> fields;
        for (const field_def& f : b.fields) {
            if (one_of(block_meta_keys, f.name)) {
                throw store_error(
                    fmt::format("product block '{}': field name '{}' is reserved", b.name, f.name));
            }
            if (!fields.insert(f.name).second) {
                throw store_error(
                    fmt::format("product block '{}': field '{}' is defined twice", b.name, f.name));
            }
            if (f.is_block && model.block(f.type) == nullptr) {
                throw store_error(
                    fmt::format("product block '{}': field '{}' refers to unknown "
                                "block '{}'",
                                b.name, f.name, f.type));
            }
        }
    }
    names.clear();
    for (const product_def& p : model.products) {
        if (!names.insert(p.name).second) {
            throw store_error(fmt::format("product '{}' is defined twice", p.name));
        }
        if (model.block(p.root_block) == nullptr) {
            throw store_error(
                fmt::format("product '{}': unknown root block '{}'", p.name, p.root_block));
        }
        if (p.root_field.empty() || one_of(subscription_keys, p.root_field)) {
            throw store_error(
                fmt::format("product '{}': invalid root field '{}'", p.name, p.root_field));
        }
        for (const auto& [name, value] : p.fixed) {
            if (one_of(subscription_keys, name) || name == p.root_field) {
                throw store_error(
                    fmt::format("product '{}': fixed input name '{}' is reserved", p.name, name));
            }
        }
    }
    names.clear();
    for (const workflow_def& w : model.workflows) {
        if (!names.insert(w.name).second) {
            throw store_error(fmt::format("workflow '{}' is defined twice", w.name));
        }
    }
}

using link = std::pair<std::string, std::string>;

// A relation row of subscription_instance_relations.
struct relation {
    std::string in_use_by_id;
    std::string depends_on_id;
    std::string attr;
    std::int64_t order_id = 0;
    auto operator<=>(const relation&) const = default;
};

}  // namespace

// --- the steps' SQL ---

namespace {

class session final : public sql_session {
  public:
    explicit session(sqlite::database& db) : db_(db) {}

    void exec(std::string_view sql, const std::vector<json>& params) override {
        auto st = prepared(sql, params);
        st->run();
    }

    std::vector<json> query(std::string_view sql, const std::vector<json>& params) override {
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

  private:
    sqlite::cached_statement prepared(std::string_view sql, const std::vector<json>& params) {
        auto st = db_.prepare_cached(sql);
        if (st->has_tail()) {
            throw store_error(fmt::format("one SQL statement at a time, got: {}", sql));
        }
        if (static_cast<std::size_t>(st->parameter_count()) != params.size()) {
            throw store_error(fmt::format("SQL expects {} parameters, got {}: {}",
                                          st->parameter_count(), params.size(), sql));
        }
        for (std::size_t i = 0; i < params.size(); ++i) {
            st->bind_json(static_cast<int>(i) + 1, params[i]);
        }
        return st;
    }

    sqlite::database& db_;
};

}  // namespace

// --- the store ---

struct sqlite_store::impl {
    class write_scope;

    impl(const std::string& p, int flags) : path(p), db(p, flags), session_sql(db) {}

    std::string path;
    sqlite::database db;
    session session_sql;
    std::unique_ptr<catalog> cat;

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

    void begin() {
        if (group) {
            if (step_open) throw store_error("a transaction is already open");
            st("SAVEPOINT wfrun_step")->run();
            step_open = true;
            return;
        }
        begin_immediate();
    }
    void begin_immediate() {
        if (db.in_transaction()) throw store_error("a transaction is already open");
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
    void commit() {
        if (group) {
            st("RELEASE wfrun_step")->run();
            step_open = false;
            return;
        }
        st("COMMIT")->run();
    }
    void rollback() {
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
    bool in_transaction() const { return group ? step_open : db.in_transaction(); }

    const catalog& require_catalog() const {
        if (!cat) throw store_error("the store has no catalog: sync_catalog() was not called");
        return *cat;
    }

    std::optional<subscription_row> subscription(const std::string& id);
    std::vector<subscription_row> subscription_list(std::string_view sql, const std::string& a,
                                                    const std::string& b);
    void save_subscription(const json& model);
    std::vector<process_row> process_list(std::string_view sql, const std::string& a,
                                          const std::string& b, std::int64_t limit);
    void sync_links(const char* table, const char* a, const char* b, const std::set<link>& desired);
};

// Makes one store call atomic: its own transaction when the caller has none open, otherwise a
// savepoint inside the caller's. Without commit(), everything written in it is undone.
class sqlite_store::impl::write_scope {
  public:
    explicit write_scope(impl& s) : s_(s), own_(!s.db.in_transaction()) {
        if (own_) {
            s_.begin();
        } else {
            s_.st("SAVEPOINT wfrun_call")->run();
        }
    }
    write_scope(const write_scope&) = delete;
    write_scope& operator=(const write_scope&) = delete;
    ~write_scope() {
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
    void commit() {
        if (own_) {
            s_.commit();
        } else {
            s_.st("RELEASE wfrun_call")->run();
        }
        done_ = true;
    }

  private:
    impl& s_;
    bool own_;
    bool done_ = false;
};

namespace {

constexpr std::string_view subscription_select =
    "SELECT s.subscription_id, s.description, s.status, s.insync, s.customer_id, s.start_date, "
    "s.end_date, s.note, s.version, p.product_id, p.name, p.description, p.product_type, p.tag, "
    "p.status FROM subscriptions s JOIN products p ON p.product_id = s.product_id ";

subscription_row read_subscription(const sqlite::statement& st) {
    subscription_row r;
    r.subscription_id = st.column_text(0);
    r.description = st.column_text(1);
    r.status = st.column_text(2);
    r.insync = st.column_bool(3);
    r.customer_id = st.column_text(4);
    r.start_date = st.column_optional_text(5);
    r.end_date = st.column_optional_text(6);
    r.note = st.column_optional_text(7);
    r.version = st.column_int64(8);
    r.product.product_id = st.column_text(9);
    r.product.name = st.column_text(10);
    r.product.description = st.column_text(11);
    r.product.product_type = st.column_text(12);
    r.product.tag = st.column_text(13);
    r.product.status = st.column_text(14);
    return r;
}

product_row read_product(const sqlite::statement& st) {
    return {st.column_text(0), st.column_text(1), st.column_text(2),
            st.column_text(3), st.column_text(4), st.column_text(5)};
}

constexpr std::string_view process_columns =
    "p.pid, p.workflow_name, p.workflow_target, p.last_status, p.last_step, p.started_at, "
    "p.last_modified_at, p.failed_reason, p.traceback, p.created_by, p.assignee, p.is_task, "
    "p.definition, p.owner, p.heartbeat_at ";

// A column holding the text of one of the domain's enums; a store_error for any other text.
template <typename Parse>
auto stored_enum(Parse parse, const sqlite::statement& st, int column, std::string_view what) {
    auto text = st.column_view(column);
    auto value = parse(text);
    if (!value) throw store_error(fmt::format("unknown {} '{}' in the database", what, text));
    return *value;
}

process_row read_process(const sqlite::statement& st) {
    process_row p;
    p.process_id = st.column_text(0);
    p.workflow_name = st.column_text(1);
    p.target = stored_enum(parse_workflow_target, st, 2, "workflow target");
    p.last_status = stored_enum(parse_process_status, st, 3, "process status");
    p.last_step = text_or_empty(st, 4);
    p.started_at = st.column_text(5);
    p.last_modified_at = st.column_text(6);
    p.failed_reason = text_or_empty(st, 7);
    p.traceback = text_or_empty(st, 8);
    p.created_by = text_or_empty(st, 9);
    p.assignee = st.column_text(10);
    p.is_task = st.column_bool(11);
    p.definition = text_or_empty(st, 12);
    p.owner = text_or_empty(st, 13);
    p.heartbeat_at = text_or_empty(st, 14);
    return p;
}

std::string concat(std::string_view a, std::string_view b, std::string_view c = {}) {
    std::string s;
    s.reserve(a.size() + b.size() + c.size());
    s.append(a).append(b).append(c);
    return s;
}

}  // namespace

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

        auto version = [&] {
            auto st = db.prepare_cached("PRAGMA user_version");
            return st->step() ? st->column_int64(0) : 0;
        };
        if (version() > schema_version) {
            throw store_error(fmt::format("schema version {} is newer than this wfrun's ({})",
                                          version(), schema_version));
        }
        if (version() < schema_version) {
            impl_->begin();
            try {
                db.exec(schema_sql);
                db.exec(fmt::format("PRAGMA user_version = {}", schema_version));
                impl_->commit();
            } catch (...) {
                impl_->rollback();
                throw;
            }
        }
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

sql_session& sqlite_store::sql() {
    return impl_->session_sql;
}

void sqlite_store::run_schema(const std::vector<std::string>& statements) {
    impl::write_scope scope(*impl_);
    for (const std::string& s : statements) impl_->db.exec(s);
    scope.commit();
}

// --- catalog ---

// Brings a link table (two id columns) in line with `desired`: missing pairs are inserted,
// others deleted.
void sqlite_store::impl::sync_links(const char* table, const char* a, const char* b,
                                    const std::set<link>& desired) {
    std::set<link> existing;
    {
        auto q = st(fmt::format("SELECT {}, {} FROM {}", a, b, table));
        while (q->step()) existing.emplace(q->column_text(0), q->column_text(1));
    }
    for (const link& l : existing) {
        if (desired.contains(l)) continue;
        auto del = st(fmt::format("DELETE FROM {} WHERE {} = ?1 AND {} = ?2", table, a, b));
        del->bind_all(l.first, l.second);
        del->run();
    }
    for (const link& l : desired) {
        if (existing.contains(l)) continue;
        auto ins = st(fmt::format("INSERT INTO {} ({}, {}) VALUES (?1, ?2)", table, a, b));
        ins->bind_all(l.first, l.second);
        ins->run();
    }
}

void sqlite_store::sync_catalog(const catalog_model& model) {
    validate_model(model);
    impl_->forget_models();
    auto& s = *impl_;
    auto next = std::make_unique<catalog>();
    next->model = model;
    const catalog_model& m = next->model;
    const std::string now = now_iso();

    impl::write_scope scope(s);

    // Products that left the model go first, and only when no subscription uses them.
    std::map<std::string, std::string> product_ids;  // name -> id
    {
        auto q = s.st("SELECT name, product_id FROM products");
        while (q->step()) product_ids.emplace(q->column_text(0), q->column_text(1));
    }
    for (auto it = product_ids.begin(); it != product_ids.end();) {
        if (m.product(it->first) != nullptr) {
            ++it;
            continue;
        }
        std::int64_t used = 0;
        {
            auto q = s.st("SELECT COUNT(*) FROM subscriptions WHERE product_id = ?1");
            q->bind_all(it->second);
            if (q->step()) used = q->column_int64(0);
        }
        if (used > 0) {
            throw store_error(fmt::format("cannot remove product '{}': {} subscriptions use it",
                                          it->first, used));
        }
        auto del = s.st("DELETE FROM products WHERE product_id = ?1");
        del->bind_all(it->second);
        del->run();
        it = product_ids.erase(it);
    }

    // Blocks likewise.
    std::map<std::string, std::string> block_ids;
    {
        auto q = s.st("SELECT name, product_block_id FROM product_blocks");
        while (q->step()) block_ids.emplace(q->column_text(0), q->column_text(1));
    }
    for (auto it = block_ids.begin(); it != block_ids.end();) {
        if (m.block(it->first) != nullptr) {
            ++it;
            continue;
        }
        std::int64_t used = 0;
        {
            auto q = s.st(
                "SELECT COUNT(DISTINCT subscription_id) FROM subscription_instances "
                "WHERE product_block_id = ?1");
            q->bind_all(it->second);
            if (q->step()) used = q->column_int64(0);
        }
        if (used > 0) {
            throw store_error(fmt::format(
                "cannot remove product block '{}': {} subscriptions use it", it->first, used));
        }
        auto del = s.st("DELETE FROM product_blocks WHERE product_block_id = ?1");
        del->bind_all(it->second);
        del->run();
        it = block_ids.erase(it);
    }

    // Resource types: every resource field name, described by its first declaration. Types
    // the model no longer names are kept; stored values may still refer to them.
    std::map<std::string, std::pair<std::string, std::string>> resources;  // name -> id, descr.
    {
        auto q = s.st("SELECT resource_type, resource_type_id, description FROM resource_types");
        while (q->step()) {
            resources.emplace(q->column_text(0),
                              std::pair{q->column_text(1), text_or_empty(*q, 2)});
        }
    }
    std::set<std::string> described;
    for (const block_def& b : m.blocks) {
        for (const field_def& f : b.fields) {
            if (f.is_block || !described.insert(f.name).second) continue;
            auto it = resources.find(f.name);
            if (it == resources.end()) {
                std::string id = new_uuid();
                auto ins = s.st(
                    "INSERT INTO resource_types (resource_type_id, resource_type, description) "
                    "VALUES (?1, ?2, ?3)");
                ins->bind_all(id, f.name, f.description);
                ins->run();
                resources.emplace(f.name, std::pair{id, f.description});
            } else if (it->second.second != f.description) {
                auto upd =
                    s.st("UPDATE resource_types SET description = ?2 WHERE resource_type_id = ?1");
                upd->bind_all(it->second.first, f.description);
                upd->run();
                it->second.second = f.description;
            }
        }
    }

    // Blocks: insert or update in place; unchanged rows are not written.
    for (const block_def& b : m.blocks) {
        auto it = block_ids.find(b.name);
        std::string id = it != block_ids.end() ? it->second : new_uuid();
        auto up = s.st(
            "INSERT INTO product_blocks (product_block_id, name, description, tag, status, "
            "created_at) VALUES (?1, ?2, ?3, ?4, 'active', ?5) "
            "ON CONFLICT (name) DO UPDATE SET description = excluded.description, "
            "tag = excluded.tag, status = excluded.status, end_date = NULL "
            "WHERE description IS NOT excluded.description OR tag IS NOT excluded.tag "
            "OR status IS NOT excluded.status OR end_date IS NOT NULL");
        up->bind_all(id, b.name, b.description, b.tag, now);
        up->run();
        block_ids[b.name] = id;
    }

    for (const product_def& p : m.products) {
        auto it = product_ids.find(p.name);
        std::string id = it != product_ids.end() ? it->second : new_uuid();
        auto up = s.st(
            "INSERT INTO products (product_id, name, description, product_type, tag, status, "
            "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
            "ON CONFLICT (name) DO UPDATE SET description = excluded.description, "
            "product_type = excluded.product_type, tag = excluded.tag, status = excluded.status "
            "WHERE description IS NOT excluded.description "
            "OR product_type IS NOT excluded.product_type OR tag IS NOT excluded.tag "
            "OR status IS NOT excluded.status");
        up->bind_all(id, p.name, p.description, p.type, p.tag, p.status, now);
        up->run();
        product_ids[p.name] = id;
    }

    // Fixed inputs, keyed by (product, name).
    {
        std::map<link, std::pair<std::string, std::string>> existing;  // -> id, value
        {
            auto q = s.st("SELECT product_id, name, fixed_input_id, value FROM fixed_inputs");
            while (q->step()) {
                existing.emplace(link{q->column_text(0), q->column_text(1)},
                                 std::pair{q->column_text(2), q->column_text(3)});
            }
        }
        std::set<link> desired;
        for (const product_def& p : m.products) {
            const std::string& pid = product_ids.at(p.name);
            for (const auto& [name, value] : p.fixed) {
                desired.emplace(pid, name);
                auto it = existing.find({pid, name});
                if (it == existing.end()) {
                    auto ins = s.st(
                        "INSERT INTO fixed_inputs (fixed_input_id, name, value, product_id, "
                        "created_at) VALUES (?1, ?2, ?3, ?4, ?5)");
                    ins->bind_all(new_uuid(), name, value, pid, now);
                    ins->run();
                } else if (it->second.second != value) {
                    auto upd = s.st("UPDATE fixed_inputs SET value = ?2 WHERE fixed_input_id = ?1");
                    upd->bind_all(it->second.first, value);
                    upd->run();
                }
            }
        }
        for (const auto& [key, row] : existing) {
            if (desired.contains(key)) continue;
            auto del = s.st("DELETE FROM fixed_inputs WHERE fixed_input_id = ?1");
            del->bind_all(row.first);
            del->run();
        }
    }

    // Workflows: upserted by name; those that left the model are soft-deleted.
    std::map<std::string, std::string> workflow_ids;
    {
        auto q = s.st("SELECT name, workflow_id FROM workflows");
        while (q->step()) workflow_ids.emplace(q->column_text(0), q->column_text(1));
    }
    for (const workflow_def& w : m.workflows) {
        auto it = workflow_ids.find(w.name);
        std::string id = it != workflow_ids.end() ? it->second : new_uuid();
        auto up = s.st(
            "INSERT INTO workflows (workflow_id, name, target, description, created_at, is_task) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
            "ON CONFLICT (name) DO UPDATE SET target = excluded.target, "
            "description = excluded.description, is_task = excluded.is_task, deleted_at = NULL "
            "WHERE target IS NOT excluded.target OR description IS NOT excluded.description "
            "OR is_task IS NOT excluded.is_task OR deleted_at IS NOT NULL");
        up->bind_all(id, w.name, to_string(w.target), w.description, now, w.is_task);
        up->run();
        workflow_ids[w.name] = id;
    }
    for (const auto& [name, id] : workflow_ids) {
        if (m.workflow(name) != nullptr) continue;
        auto del = s.st(
            "UPDATE workflows SET deleted_at = ?2 WHERE workflow_id = ?1 AND deleted_at IS NULL");
        del->bind_all(id, now);
        del->run();
    }

    // Link tables.
    std::set<link> product_blocks, block_relations, block_resources, product_workflows;
    for (const product_def& p : m.products) {
        product_blocks.emplace(product_ids.at(p.name), block_ids.at(p.root_block));
        for (const workflow_def& w : m.workflows) {
            if (!w.product_type.empty() && w.product_type == p.type) {
                product_workflows.emplace(product_ids.at(p.name), workflow_ids.at(w.name));
            }
        }
    }
    for (const block_def& b : m.blocks) {
        for (const field_def& f : b.fields) {
            if (f.is_block) {
                block_relations.emplace(block_ids.at(b.name), block_ids.at(f.type));
            } else {
                block_resources.emplace(block_ids.at(b.name), resources.at(f.name).first);
            }
        }
    }
    s.sync_links("product_product_blocks", "product_id", "product_block_id", product_blocks);
    s.sync_links("product_block_relations", "in_use_by_id", "depends_on_id", block_relations);
    s.sync_links("product_block_resource_types", "product_block_id", "resource_type_id",
                 block_resources);
    s.sync_links("products_workflows", "product_id", "workflow_id", product_workflows);

    // The index the domain calls use.
    {
        auto q =
            s.st("SELECT product_id, name, description, product_type, tag, status FROM products");
        while (q->step()) {
            product_row row = read_product(*q);
            next->product_by_id.emplace(row.product_id, m.product(row.name));
            next->product_rows.emplace(row.product_id, std::move(row));
        }
    }
    for (const block_def& b : m.blocks) {
        const std::string& id = block_ids.at(b.name);
        next->block_ids.emplace(b.name, id);
        next->block_by_id.emplace(id, &b);
    }
    for (const auto& [name, row] : resources) {
        next->resource_ids.emplace(name, row.first);
        next->resource_names.emplace(row.first, name);
    }

    scope.commit();
    s.cat = std::move(next);
}

std::vector<product_row> sqlite_store::products() {
    auto q = impl_->st(
        "SELECT product_id, name, description, product_type, tag, status FROM products "
        "ORDER BY name");
    std::vector<product_row> out;
    while (q->step()) out.push_back(read_product(*q));
    return out;
}

std::optional<product_row> sqlite_store::product(const std::string& product_id) {
    auto q = impl_->st(
        "SELECT product_id, name, description, product_type, tag, status FROM products "
        "WHERE product_id = ?1");
    q->bind_all(product_id);
    if (!q->step()) return std::nullopt;
    return read_product(*q);
}

std::vector<std::string> sqlite_store::product_workflows(const std::string& product_id) {
    auto q = impl_->st(
        "SELECT w.name FROM products_workflows pw JOIN workflows w "
        "ON w.workflow_id = pw.workflow_id WHERE pw.product_id = ?1 AND w.deleted_at IS NULL "
        "ORDER BY w.name");
    q->bind_all(product_id);
    std::vector<std::string> out;
    while (q->step()) out.push_back(q->column_text(0));
    return out;
}

// --- subscriptions ---

std::optional<subscription_row> sqlite_store::impl::subscription(const std::string& id) {
    static const std::string sql = concat(subscription_select, "WHERE s.subscription_id = ?1");
    auto q = st(sql);
    q->bind_all(id);
    if (!q->step()) return std::nullopt;
    return read_subscription(*q);
}

std::optional<subscription_row> sqlite_store::subscription(const std::string& subscription_id) {
    return impl_->subscription(subscription_id);
}

std::vector<subscription_row> sqlite_store::impl::subscription_list(std::string_view sql,
                                                                    const std::string& a,
                                                                    const std::string& b) {
    auto q = st(sql);
    int n = q->parameter_count();
    if (n >= 1) q->bind(1, a);
    if (n >= 2) q->bind(2, b);
    std::vector<subscription_row> out;
    while (q->step()) out.push_back(read_subscription(*q));
    return out;
}

std::vector<subscription_row> sqlite_store::subscriptions(const subscription_filter& filter) {
    // One statement per combination, so that each can use its index.
    static const std::string order = " ORDER BY s.description, s.subscription_id";
    static const std::string all = concat(subscription_select, order);
    static const std::string by_type =
        concat(subscription_select, "WHERE p.product_type = ?1", order);
    static const std::string by_status = concat(subscription_select, "WHERE s.status = ?1", order);
    static const std::string by_both =
        concat(subscription_select, "WHERE p.product_type = ?1 AND s.status = ?2", order);
    const std::string none;
    if (filter.product_type && filter.status) {
        return impl_->subscription_list(by_both, *filter.product_type, *filter.status);
    }
    if (filter.product_type) return impl_->subscription_list(by_type, *filter.product_type, none);
    if (filter.status) return impl_->subscription_list(by_status, *filter.status, none);
    return impl_->subscription_list(all, none, none);
}

std::vector<subscription_row> sqlite_store::in_use_by(const std::string& subscription_id) {
    static const std::string sql = concat(
        subscription_select,
        "WHERE s.subscription_id IN (SELECT u.subscription_id FROM subscription_instances d "
        "JOIN subscription_instance_relations r ON r.depends_on_id = d.subscription_instance_id "
        "JOIN subscription_instances u ON u.subscription_instance_id = r.in_use_by_id "
        "WHERE d.subscription_id = ?1 AND u.subscription_id != ?1)",
        " ORDER BY s.description, s.subscription_id");
    return impl_->subscription_list(sql, subscription_id, {});
}

std::vector<subscription_row> sqlite_store::depends_on(const std::string& subscription_id) {
    static const std::string sql = concat(
        subscription_select,
        "WHERE s.subscription_id IN (SELECT d.subscription_id FROM subscription_instances u "
        "JOIN subscription_instance_relations r ON r.in_use_by_id = u.subscription_instance_id "
        "JOIN subscription_instances d ON d.subscription_instance_id = r.depends_on_id "
        "WHERE u.subscription_id = ?1 AND d.subscription_id != ?1)",
        " ORDER BY s.description, s.subscription_id");
    return impl_->subscription_list(sql, subscription_id, {});
}

void sqlite_store::set_insync(const std::string& subscription_id, bool insync) {
    impl_->forget_models();
    auto q = impl_->st(
        "UPDATE subscriptions SET insync = ?2, version = version + 1 "
        "WHERE subscription_id = ?1 AND insync != ?2");
    q->bind_all(subscription_id, insync);
    q->run();
    if (impl_->db.changes() == 0 && !impl_->subscription(subscription_id)) {
        throw store_error(fmt::format("unknown subscription '{}'", subscription_id));
    }
}

namespace {

struct stored_instance {
    std::string subscription_id;
    std::string block_id;
    std::optional<std::string> label;
    std::vector<std::pair<std::string, std::string>> values;  // resource_type_id, text
};

class model_builder {
  public:
    model_builder(const catalog& c, std::unordered_map<std::string, stored_instance>& instances,
                  std::multimap<std::string, relation>& children)
        : c_(c), instances_(instances), children_(children) {}

    // The block instance `id` as JSON with its values typed and its nested blocks inlined.
    json build(const std::string& id) {
        auto it = instances_.find(id);
        if (it == instances_.end() || !path_.insert(id).second) return nullptr;
        const stored_instance& in = it->second;
        auto def_it = c_.block_by_id.find(in.block_id);
        // Keys in the order create_subscription() writes them: the block's own, then its
        // fields as declared.
        const block_def* def = def_it == c_.block_by_id.end() ? nullptr : def_it->second;
        json b = {{"name", def != nullptr ? json(def->name) : json(nullptr)},
                  {"subscription_instance_id", id},
                  {"owner_subscription_id", in.subscription_id},
                  {"label", optional_json(in.label)}};
        if (def == nullptr) {
            path_.erase(id);
            return b;
        }
        auto [first, last] = children_.equal_range(id);
        for (const field_def& f : def->fields) {
            if (f.is_block) {
                json child = nullptr;
                for (auto r = first; r != last; ++r) {
                    if (r->second.attr == f.name) {
                        child = build(r->second.depends_on_id);
                        break;
                    }
                }
                b[f.name] = std::move(child);
                continue;
            }
            json value = nullptr;
            auto rid = c_.resource_ids.find(f.name);
            if (rid != c_.resource_ids.end()) {
                for (const auto& [type_id, text] : in.values) {
                    if (type_id == rid->second) {
                        value = typed_value(f, text);
                        break;
                    }
                }
            }
            b[f.name] = std::move(value);
        }
        path_.erase(id);
        return b;
    }

  private:
    const catalog& c_;
    std::unordered_map<std::string, stored_instance>& instances_;
    std::multimap<std::string, relation>& children_;  // by in_use_by_id
    std::unordered_set<std::string> path_;            // guards against cycles
};

}  // namespace

std::optional<json> sqlite_store::load_subscription(const std::string& subscription_id) {
    auto& s = *impl_;
    if (const json* cached = s.cached_model(subscription_id)) return *cached;
    auto row = s.subscription(subscription_id);
    if (!row) return std::nullopt;
    const catalog& c = s.require_catalog();
    auto pit = c.product_by_id.find(row->product.product_id);
    if (pit == c.product_by_id.end() || pit->second == nullptr) {
        throw store_error(
            fmt::format("subscription '{}' has product '{}', which is not in the "
                        "catalog",
                        subscription_id, row->product.name));
    }
    const product_def& pd = *pit->second;

    // This subscription's instances with their values, and the relations from them; then,
    // level by level, the instances of other subscriptions they depend on. (Indexed lookups
    // only: a recursive CTE would build temporary tables on every load.)
    std::unordered_map<std::string, stored_instance> instances;
    auto add_value_row = [&](const sqlite::statement& q, const std::string& id, int first) {
        auto [it, added] = instances.try_emplace(id);
        if (added) {
            it->second.subscription_id = q.column_text(first);
            it->second.block_id = q.column_text(first + 1);
            it->second.label = q.column_optional_text(first + 2);
        }
        if (!q.is_null(first + 3)) {
            it->second.values.emplace_back(q.column_text(first + 3), q.column_text(first + 4));
        }
    };
    {
        auto q = s.st(
            "SELECT i.subscription_instance_id, i.subscription_id, i.product_block_id, i.label, "
            "v.resource_type_id, v.value FROM subscription_instances i "
            "LEFT JOIN subscription_instance_values v "
            "ON v.subscription_instance_id = i.subscription_instance_id "
            "WHERE i.subscription_id = ?1");
        q->bind_all(subscription_id);
        while (q->step()) add_value_row(*q, q->column_text(0), 1);
    }
    std::multimap<std::string, relation> children;
    std::unordered_set<std::string> owned_children;  // instances one of ours depends on
    std::vector<std::string> pending;                // depended on, not loaded yet
    auto add_relation = [&](const sqlite::statement& q) {
        relation r{q.column_text(0), q.column_text(1), q.column_text(2), q.column_int64(3)};
        if (!instances.contains(r.depends_on_id)) pending.push_back(r.depends_on_id);
        std::string key = r.in_use_by_id;
        children.emplace(std::move(key), std::move(r));
    };
    {
        auto q = s.st(
            "SELECT r.in_use_by_id, r.depends_on_id, r.domain_model_attr, r.order_id "
            "FROM subscription_instances i JOIN subscription_instance_relations r "
            "ON r.in_use_by_id = i.subscription_instance_id WHERE i.subscription_id = ?1");
        q->bind_all(subscription_id);
        while (q->step()) {
            owned_children.insert(q->column_text(1));
            add_relation(*q);
        }
    }
    std::unordered_set<std::string> fetched;
    while (!pending.empty()) {
        std::string id = std::move(pending.back());
        pending.pop_back();
        if (instances.contains(id) || !fetched.insert(id).second) continue;
        {
            auto q = s.st(
                "SELECT i.subscription_id, i.product_block_id, i.label, v.resource_type_id, "
                "v.value FROM subscription_instances i LEFT JOIN subscription_instance_values v "
                "ON v.subscription_instance_id = i.subscription_instance_id "
                "WHERE i.subscription_instance_id = ?1");
            q->bind_all(id);
            while (q->step()) add_value_row(*q, id, 0);
        }
        auto q = s.st(
            "SELECT in_use_by_id, depends_on_id, domain_model_attr, order_id "
            "FROM subscription_instance_relations WHERE in_use_by_id = ?1");
        q->bind_all(id);
        while (q->step()) add_relation(*q);
    }

    // The root: this subscription's instance of the root block that none of its other
    // instances depends on.
    std::string root_id;
    auto root_block = c.block_ids.find(pd.root_block);
    for (const auto& [id, in] : instances) {
        if (in.subscription_id != subscription_id || owned_children.contains(id)) continue;
        if (root_block == c.block_ids.end() || in.block_id != root_block->second) continue;
        if (root_id.empty() || id < root_id) root_id = id;  // deterministic if data is odd
    }

    json out = {{"subscription_id", row->subscription_id},
                {"description", row->description},
                {"status", row->status},
                {"insync", row->insync},
                {"customer_id", row->customer_id},
                {"start_date", optional_json(row->start_date)},
                {"end_date", optional_json(row->end_date)},
                {"note", optional_json(row->note)},
                {"version", row->version},
                {"product", product_json(row->product)}};
    for (const auto& [name, value] : pd.fixed) out[name] = value;
    model_builder builder(c, instances, children);
    out[pd.root_field] = root_id.empty() ? json(nullptr) : builder.build(root_id);
    s.models.insert_or_assign(subscription_id, out);
    return out;
}

namespace {

// What saving a subscription model writes, worked out (and validated) before any write.
struct save_plan {
    struct instance {
        std::string id;
        std::string block_id;
        std::optional<std::string> label;
    };
    struct value {
        std::string instance_id;
        std::string resource_type_id;
        std::optional<std::string> text;  // nullopt: no row
    };
    std::vector<instance> instances;  // owned by the subscription
    std::vector<value> values;
    std::set<relation> relations;                             // from the subscription's instances
    std::unordered_set<std::string> kept;                     // owned instance ids in the model
    std::vector<std::pair<std::string, std::string>> linked;  // foreign id, claimed owner
};

class save_planner {
  public:
    save_planner(const catalog& c, const std::string& subscription_id, save_plan& plan)
        : c_(c), sid_(subscription_id), plan_(plan) {}

    // Walks the block `b` expected to be a `def`, referenced from `parent.attr` (no parent for
    // the root).
    void walk(const json& b, const block_def& def, const std::string& parent,
              const std::string& attr) {
        if (b.is_null()) return;
        if (!b.is_object()) {
            throw store_error(
                fmt::format("{}: expected a {} block, got {}", where(attr), def.name, b.dump()));
        }
        if (const json* name = member(b, "name"); name != nullptr && !name->is_null()) {
            if (!name->is_string() || name->get_ref<const std::string&>() != def.name) {
                throw store_error(fmt::format("{}: expected a {} block, got {}", where(attr),
                                              def.name, name->dump()));
            }
        }
        auto id = optional_string_member(b, "subscription_instance_id", def.name.c_str());
        auto owner = optional_string_member(b, "owner_subscription_id", def.name.c_str());
        if (!id || id->empty()) {
            id = new_uuid();
            owner = sid_;
        }
        if (!owner || owner->empty()) owner = sid_;
        if (!parent.empty()) plan_.relations.insert({parent, *id, attr, 0});
        if (*owner != sid_) {
            plan_.linked.emplace_back(*id, *owner);
            return;
        }
        if (!plan_.kept.insert(*id).second) return;  // referenced twice: written once

        for (const auto& [key, value] : b.items()) {
            if (one_of(block_meta_keys, key)) continue;
            bool known = false;
            for (const field_def& f : def.fields) known = known || f.name == key;
            if (!known) {
                throw store_error(fmt::format("unknown field '{}' in block {}", key, def.name));
            }
        }
        plan_.instances.push_back(
            {*id, c_.block_ids.at(def.name), optional_string_member(b, "label", def.name.c_str())});
        for (const field_def& f : def.fields) {
            const json* v = member(b, f.name.c_str());
            if (f.is_block) {
                if (v != nullptr) walk(*v, *c_.model.block(f.type), *id, f.name);
                continue;
            }
            save_plan::value row{*id, c_.resource_ids.at(f.name), std::nullopt};
            if (v != nullptr && !v->is_null()) row.text = value_text(def, f, *v);
            plan_.values.push_back(std::move(row));
        }
    }

  private:
    std::string where(const std::string& attr) const { return attr.empty() ? "root block" : attr; }

    const catalog& c_;
    const std::string& sid_;
    save_plan& plan_;
};

}  // namespace

void sqlite_store::save_subscription(const json& model) {
    impl_->save_subscription(model);
}

// Saves in three parts: the subscription row, then the instances, values and relations this
// subscription owns (written only where they differ from what is stored), then the removal of
// owned instances the model no longer references. Everything is validated first.
void sqlite_store::impl::save_subscription(const json& model) {
    if (!model.is_object()) throw store_error("a subscription model must be a JSON object");
    const catalog& c = require_catalog();
    const std::string sid = string_member(model, "subscription_id", "subscription");
    // The model as stored, when it was loaded since the last write: then what is stored is
    // known without reading it again.
    std::optional<json> before;
    if (cached_model(sid)) before = std::move(models.extract(sid).mapped());
    forget_models();
    std::optional<std::string> stored_product;
    if (before) {
        stored_product = (*before)["product"].value("product_id", std::string());
    } else if (auto row = subscription(sid)) {
        stored_product = row->product.product_id;
    }

    std::string product_id;
    if (const json* p = member(model, "product"); p != nullptr && member(*p, "product_id")) {
        product_id = string_member(*p, "product_id", "subscription product");
    } else if (stored_product) {
        product_id = *stored_product;
    } else {
        throw store_error(fmt::format("subscription '{}' has no product", sid));
    }
    auto pit = c.product_by_id.find(product_id);
    if (pit == c.product_by_id.end() || pit->second == nullptr) {
        throw store_error(fmt::format("unknown product '{}'", product_id));
    }
    const product_def& pd = *pit->second;

    const std::string description = string_member(model, "description", "subscription");
    const std::string status = string_member(model, "status", "subscription");
    if (!is_lifecycle(status)) {
        throw store_error(fmt::format("subscription '{}': unknown status '{}'", sid, status));
    }
    const json* insync_v = member(model, "insync");
    if (insync_v == nullptr || !insync_v->is_boolean()) {
        throw store_error("subscription: 'insync' must be a boolean");
    }
    const bool insync = insync_v->get<bool>();
    const std::string customer_id = string_member(model, "customer_id", "subscription");
    const auto start_date = optional_string_member(model, "start_date", "subscription");
    const auto end_date = optional_string_member(model, "end_date", "subscription");
    const auto note = optional_string_member(model, "note", "subscription");

    const json* root = member(model, pd.root_field.c_str());
    if (root == nullptr) {
        throw store_error(fmt::format("subscription '{}' has no '{}'", sid, pd.root_field));
    }
    save_plan plan;
    save_planner(c, sid, plan).walk(*root, *c.model.block(pd.root_block), {}, {});

    // What is stored now: from the model as loaded, or else from the rows.
    std::unordered_map<std::string, std::pair<std::string, std::optional<std::string>>> owned;
    std::map<link, std::string> values;  // (instance, resource type) -> text
    std::set<relation> relations;
    bool known = false;
    if (before) {
        try {
            save_plan stored;
            if (const json* r = member(*before, pd.root_field.c_str()))
                save_planner(c, sid, stored).walk(*r, *c.model.block(pd.root_block), {}, {});
            for (auto& in : stored.instances) owned.emplace(in.id, std::pair{in.block_id, in.label});
            for (auto& v : stored.values)
                if (v.text) values.emplace(link{v.instance_id, v.resource_type_id}, *v.text);
            relations = std::move(stored.relations);
            known = true;
        } catch (const store_error&) {  // odd stored data: read the rows instead
            owned.clear(), values.clear(), relations.clear();
        }
    }

    write_scope scope(*this);

    if (!stored_product) {
        auto ins =
            st("INSERT INTO subscriptions (subscription_id, description, status, product_id, "
               "customer_id, insync, start_date, end_date, note) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
        ins->bind_all(sid, description, status, product_id, customer_id, insync, start_date,
                      end_date, note);
        ins->run();
    } else {
        auto upd =
            st("UPDATE subscriptions SET description = ?2, status = ?3, product_id = ?4, "
               "customer_id = ?5, insync = ?6, start_date = ?7, end_date = ?8, note = ?9, "
               "version = version + 1 WHERE subscription_id = ?1 AND (description IS NOT ?2 OR status IS NOT ?3 "
               "OR product_id IS NOT ?4 OR customer_id IS NOT ?5 OR insync IS NOT ?6 "
               "OR start_date IS NOT ?7 OR end_date IS NOT ?8 OR note IS NOT ?9)");
        upd->bind_all(sid, description, status, product_id, customer_id, insync, start_date,
                      end_date, note);
        upd->run();
    }

    if (!known) {
        auto q = st(
            "SELECT subscription_instance_id, product_block_id, label FROM subscription_instances "
            "WHERE subscription_id = ?1");
        q->bind_all(sid);
        while (q->step()) {
            owned.emplace(q->column_text(0),
                          std::pair{q->column_text(1), q->column_optional_text(2)});
        }
    }
    if (!known) {
        auto q =
            st("SELECT v.subscription_instance_id, v.resource_type_id, v.value "
               "FROM subscription_instance_values v JOIN subscription_instances i "
               "ON i.subscription_instance_id = v.subscription_instance_id "
               "WHERE i.subscription_id = ?1");
        q->bind_all(sid);
        while (q->step()) {
            values.emplace(link{q->column_text(0), q->column_text(1)}, q->column_text(2));
        }
    }
    if (!known) {
        auto q =
            st("SELECT r.in_use_by_id, r.depends_on_id, r.domain_model_attr, r.order_id "
               "FROM subscription_instance_relations r JOIN subscription_instances i "
               "ON i.subscription_instance_id = r.in_use_by_id WHERE i.subscription_id = ?1");
        q->bind_all(sid);
        while (q->step()) {
            relations.insert(
                {q->column_text(0), q->column_text(1), q->column_text(2), q->column_int64(3)});
        }
    }

    for (const auto& in : plan.instances) {
        auto it = owned.find(in.id);
        if (it == owned.end()) {
            auto ins =
                st("INSERT INTO subscription_instances (subscription_instance_id, subscription_id, "
                   "product_block_id, label) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING");
            ins->bind_all(in.id, sid, in.block_id, in.label);
            ins->run();
            if (db.changes() == 0) {
                throw store_error(fmt::format(
                    "block instance '{}' belongs to another subscription than '{}'", in.id, sid));
            }
        } else if (it->second.first != in.block_id || it->second.second != in.label) {
            auto upd =
                st("UPDATE subscription_instances SET product_block_id = ?2, label = ?3 "
                   "WHERE subscription_instance_id = ?1");
            upd->bind_all(in.id, in.block_id, in.label);
            upd->run();
        }
    }
    for (const auto& v : plan.values) {
        auto it = values.find({v.instance_id, v.resource_type_id});
        if (!v.text) {
            if (it == values.end()) continue;
            auto del =
                st("DELETE FROM subscription_instance_values "
                   "WHERE subscription_instance_id = ?1 AND resource_type_id = ?2");
            del->bind_all(v.instance_id, v.resource_type_id);
            del->run();
        } else if (it == values.end()) {
            auto ins =
                st("INSERT INTO subscription_instance_values (subscription_instance_value_id, "
                   "subscription_instance_id, resource_type_id, value) VALUES (?1, ?2, ?3, ?4)");
            ins->bind_all(new_uuid(), v.instance_id, v.resource_type_id, *v.text);
            ins->run();
        } else if (it->second != *v.text) {
            auto upd =
                st("UPDATE subscription_instance_values SET value = ?3 "
                   "WHERE subscription_instance_id = ?1 AND resource_type_id = ?2");
            upd->bind_all(v.instance_id, v.resource_type_id, *v.text);
            upd->run();
        }
    }
    for (const auto& [id, owner] : plan.linked) {
        auto q =
            st("SELECT 1 FROM subscription_instances WHERE subscription_instance_id = ?1 "
               "AND subscription_id = ?2");
        q->bind_all(id, owner);
        if (!q->step()) {
            throw store_error(
                fmt::format("block instance '{}' of subscription '{}' does not exist", id, owner));
        }
    }
    for (const relation& r : relations) {
        if (plan.relations.contains(r)) continue;
        auto del =
            st("DELETE FROM subscription_instance_relations WHERE in_use_by_id = ?1 "
               "AND depends_on_id = ?2 AND domain_model_attr = ?3 AND order_id = ?4");
        del->bind_all(r.in_use_by_id, r.depends_on_id, r.attr, r.order_id);
        del->run();
    }
    for (const relation& r : plan.relations) {
        if (relations.contains(r)) continue;
        auto ins =
            st("INSERT INTO subscription_instance_relations (in_use_by_id, depends_on_id, "
               "order_id, domain_model_attr) VALUES (?1, ?2, ?3, ?4)");
        ins->bind_all(r.in_use_by_id, r.depends_on_id, r.order_id, r.attr);
        ins->run();
    }
    for (const auto& [id, stored] : owned) {
        if (plan.kept.contains(id)) continue;
        {
            auto q =
                st("SELECT u.subscription_id FROM subscription_instance_relations r "
                   "JOIN subscription_instances u ON u.subscription_instance_id = r.in_use_by_id "
                   "WHERE r.depends_on_id = ?1 AND u.subscription_id != ?2 LIMIT 1");
            q->bind_all(id, sid);
            if (q->step()) {
                throw store_error(fmt::format(
                    "cannot remove block instance '{}' of subscription '{}': subscription '{}' "
                    "uses it",
                    id, sid, q->column_text(0)));
            }
        }
        auto del = st("DELETE FROM subscription_instances WHERE subscription_instance_id = ?1");
        del->bind_all(id);
        del->run();
    }

    scope.commit();
}

namespace {

// An empty instance of `def` owned by `owner`, with an empty instance for every nested block
// (as orchestrator-core creates them; a nested one is usually replaced later).
json empty_block(const catalog_model& m, const block_def& def, const std::string& owner,
                 std::set<std::string>& path) {
    if (!path.insert(def.name).second) return nullptr;
    json b = {{"name", def.name},
              {"subscription_instance_id", new_uuid()},
              {"owner_subscription_id", owner},
              {"label", nullptr}};
    for (const field_def& f : def.fields) {
        b[f.name] = f.is_block ? empty_block(m, *m.block(f.type), owner, path) : json(nullptr);
    }
    path.erase(def.name);
    return b;
}

}  // namespace

json sqlite_store::create_subscription(const std::string& product_id,
                                       const std::string& customer_id) {
    const catalog& c = impl_->require_catalog();
    auto pit = c.product_by_id.find(product_id);
    if (pit == c.product_by_id.end() || pit->second == nullptr) {
        throw store_error(fmt::format("unknown product '{}'", product_id));
    }
    const product_def& pd = *pit->second;
    const product_row& row = c.product_rows.at(product_id);
    std::string sid = new_uuid();
    json m = {{"subscription_id", sid},
              {"description", "Initial subscription of " + row.description},
              {"status", "initial"},
              {"insync", false},
              {"customer_id", customer_id},
              {"start_date", nullptr},
              {"end_date", nullptr},
              {"note", nullptr},
              {"version", 1},
              {"product", product_json(row)}};
    for (const auto& [name, value] : pd.fixed) m[name] = value;
    std::set<std::string> path;
    m[pd.root_field] = empty_block(c.model, *c.model.block(pd.root_block), sid, path);
    impl_->save_subscription(m);
    return m;
}

// --- processes ---

void sqlite_store::insert_process(const process_row& p) {
    if (p.process_id.empty()) throw store_error("a process needs an id");
    const std::string started = p.started_at.empty() ? now_iso() : p.started_at;
    const std::string& modified = p.last_modified_at.empty() ? started : p.last_modified_at;
    auto q = impl_->st(
        "INSERT INTO processes (pid, workflow_id, workflow_name, workflow_target, last_status, "
        "last_step, started_at, last_modified_at, failed_reason, traceback, created_by, "
        "assignee, is_task, definition, owner, heartbeat_at) VALUES (?1, "
        "(SELECT workflow_id FROM workflows WHERE name = ?2), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
        "?10, ?11, ?12, ?13, ?14, ?15)");
    q->bind_all(p.process_id, p.workflow_name, to_string(p.target), to_string(p.last_status),
                nullable(p.last_step), started, modified, nullable(p.failed_reason),
                nullable(p.traceback), nullable(p.created_by),
                p.assignee.empty() ? std::string_view("SYSTEM") : p.assignee, p.is_task,
                nullable(p.definition), nullable(p.owner), nullable(p.heartbeat_at));
    q->run();
}

// last_modified_at is `p`'s when set, otherwise now.
void sqlite_store::update_process(const process_row& p) {
    auto q = impl_->st(
        "UPDATE processes SET workflow_target = ?2, last_status = ?3, last_step = ?4, "
        "last_modified_at = ?5, failed_reason = ?6, traceback = ?7, created_by = ?8, "
        "assignee = ?9, is_task = ?10, definition = ?11, owner = ?12, heartbeat_at = ?13 "
        "WHERE pid = ?1");
    q->bind_all(p.process_id, to_string(p.target), to_string(p.last_status), nullable(p.last_step),
                p.last_modified_at.empty() ? now_iso() : p.last_modified_at,
                nullable(p.failed_reason), nullable(p.traceback), nullable(p.created_by),
                p.assignee.empty() ? std::string_view("SYSTEM") : p.assignee, p.is_task,
                nullable(p.definition), nullable(p.owner), nullable(p.heartbeat_at));
    q->run();
    if (impl_->db.changes() == 0) {
        throw store_error(fmt::format("unknown process '{}'", p.process_id));
    }
}

std::optional<process_row> sqlite_store::process(const std::string& process_id) {
    static const std::string sql =
        concat("SELECT ", process_columns, "FROM processes p WHERE p.pid = ?1");
    auto q = impl_->st(sql);
    q->bind_all(process_id);
    if (!q->step()) return std::nullopt;
    return read_process(*q);
}

std::vector<process_row> sqlite_store::impl::process_list(std::string_view sql,
                                                          const std::string& a,
                                                          const std::string& b,
                                                          std::int64_t limit) {
    auto q = st(sql);
    int n = q->parameter_count();  // the limit is always the last parameter
    if (n >= 2) q->bind(1, a);
    if (n >= 3) q->bind(2, b);
    q->bind(n, limit);
    std::vector<process_row> out;
    while (q->step()) out.push_back(read_process(*q));
    return out;
}

std::vector<process_row> sqlite_store::processes(const process_filter& filter) {
    static const std::string head = concat("SELECT ", process_columns, "FROM processes p ");
    static const std::string tail = " ORDER BY p.started_at DESC, p.rowid DESC LIMIT ?";
    static const std::string all = concat(head, tail);
    static const std::string by_status = concat(head, "WHERE p.last_status = ?1", tail);
    static const std::string by_workflow = concat(head, "WHERE p.workflow_name = ?1", tail);
    static const std::string by_both =
        concat(head, "WHERE p.last_status = ?1 AND p.workflow_name = ?2", tail);
    const std::int64_t limit = filter.limit == 0 ? -1 : static_cast<std::int64_t>(filter.limit);
    const std::string none;
    const std::string status = filter.status ? std::string(to_string(*filter.status)) : none;
    if (filter.status && filter.workflow) {
        return impl_->process_list(by_both, status, *filter.workflow, limit);
    }
    if (filter.status) return impl_->process_list(by_status, status, none, limit);
    if (filter.workflow) return impl_->process_list(by_workflow, *filter.workflow, none, limit);
    return impl_->process_list(all, none, none, limit);
}

std::int64_t sqlite_store::insert_step(const step_row& s) {
    const std::string completed = s.completed_at.empty() ? now_iso() : s.completed_at;
    auto q = impl_->st(
        "INSERT INTO process_steps (stepid, pid, name, step_key, status, state, created_by, "
        "started_at, completed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    q->bind_all(s.step_id.empty() ? new_uuid() : s.step_id, s.process_id, s.name,
                nullable(s.step_key), to_string(s.status), compact_json(s.state), nullable(s.created_by),
                s.started_at.empty() ? completed : s.started_at, completed);
    q->run();
    return impl_->db.last_insert_rowid();
}

namespace {

step_row read_step(const sqlite::statement& q) {
    step_row r;
    r.seq = q.column_int64(0);
    r.step_id = q.column_text(1);
    r.process_id = q.column_text(2);
    r.name = q.column_text(3);
    r.step_key = text_or_empty(q, 4);
    r.status = stored_enum(parse_step_status, q, 5, "step status");
    r.state = json::parse(q.column_view(6));
    r.created_by = text_or_empty(q, 7);
    r.started_at = q.column_text(8);
    r.completed_at = q.column_text(9);
    return r;
}

}  // namespace

std::vector<step_row> sqlite_store::steps(const std::string& process_id) {
    auto q = impl_->st(
        "SELECT seq, stepid, pid, name, step_key, status, state, created_by, started_at, "
        "completed_at FROM process_steps WHERE pid = ?1 ORDER BY seq");
    q->bind_all(process_id);
    std::vector<step_row> out;
    while (q->step()) out.push_back(read_step(*q));
    return out;
}

std::optional<step_row> sqlite_store::last_step(const std::string& process_id) {
    auto q = impl_->st(
        "SELECT seq, stepid, pid, name, step_key, status, state, created_by, started_at, "
        "completed_at FROM process_steps WHERE pid = ?1 ORDER BY seq DESC LIMIT 1");
    q->bind_all(process_id);
    if (!q->step()) return std::nullopt;
    return read_step(*q);
}

void sqlite_store::update_step(const step_row& s) {
    auto q = impl_->st(
        "UPDATE process_steps SET status = ?2, state = ?3, completed_at = ?4 WHERE seq = ?1");
    q->bind_all(s.seq, to_string(s.status), compact_json(s.state),
                s.completed_at.empty() ? now_iso() : s.completed_at);
    q->run();
    if (impl_->db.changes() == 0) throw store_error(fmt::format("unknown step row {}", s.seq));
}

bool sqlite_store::claim_process(const std::string& process_id, process_status expected_status,
                                 const std::string& expected_owner, const std::string& owner,
                                 const std::string& heartbeat_at) {
    auto q = impl_->st(
        "UPDATE processes SET last_status = 'running', owner = ?4, heartbeat_at = ?5, "
        "last_modified_at = ?5 WHERE pid = ?1 AND last_status = ?2 AND IFNULL(owner, '') = ?3");
    q->bind_all(process_id, to_string(expected_status), expected_owner, owner,
                heartbeat_at.empty() ? now_iso() : heartbeat_at);
    q->run();
    return impl_->db.changes() > 0;
}

void sqlite_store::insert_input_state(const std::string& process_id, const json& input,
                                      const std::string& input_type) {
    auto q = impl_->st(
        "INSERT INTO input_states (input_state_id, pid, input_state, input_time, input_type) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    q->bind_all(new_uuid(), process_id, compact_json(input), now_iso(), input_type);
    q->run();
}

std::optional<json> sqlite_store::last_input_state(const std::string& process_id) {
    auto q = impl_->st(
        "SELECT input_state FROM input_states WHERE pid = ?1 ORDER BY rowid DESC LIMIT 1");
    q->bind_all(process_id);
    if (!q->step()) return std::nullopt;
    return json::parse(q->column_view(0));
}

void sqlite_store::link_process_subscription(const std::string& process_id,
                                             const std::string& subscription_id,
                                             workflow_target target) {
    auto q = impl_->st(
        "INSERT INTO processes_subscriptions (id, pid, subscription_id, created_at, "
        "workflow_target) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (pid, subscription_id) "
        "DO NOTHING");
    q->bind_all(new_uuid(), process_id, subscription_id, now_iso(), to_string(target));
    q->run();
}

std::vector<std::string> sqlite_store::process_subscriptions(const std::string& process_id) {
    auto q = impl_->st(
        "SELECT subscription_id FROM processes_subscriptions WHERE pid = ?1 "
        "ORDER BY created_at, rowid");
    q->bind_all(process_id);
    std::vector<std::string> out;
    while (q->step()) out.push_back(q->column_text(0));
    return out;
}

std::vector<process_row> sqlite_store::subscription_processes(const std::string& subscription_id) {
    static const std::string sql =
        concat("SELECT ", process_columns,
               "FROM processes_subscriptions ps JOIN processes p ON p.pid = ps.pid "
               "WHERE ps.subscription_id = ?1 ORDER BY p.started_at DESC, p.rowid DESC");
    auto q = impl_->st(sql);
    q->bind_all(subscription_id);
    std::vector<process_row> out;
    while (q->step()) out.push_back(read_process(*q));
    return out;
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

}  // namespace wfrun
